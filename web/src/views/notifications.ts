// The user's notifications as sentences (what happened, to which entity, when), filtered by status; mark one or
// all as seen, archive and unarchive. Degrades to a notice when the server has no NotificationService.
import {
  anyTypes, anyUnpack, APIKeySchema, Code, CreateUserRequestSchema, EntityStateChangedNotificationSchema, isIdentityError, listPage,
  NotificationStatus, Right, State, timestampDate, type APIKey, type Notification,
} from "../../../client/index.js";
import type { Console } from "../app.js";
import { describe, formatTime, h, replace, unavailable } from "../dom.js";
import { pager, type PageState } from "../pager.js";

const FILTERS: Record<string, { label: string; status: NotificationStatus[] }> = {
  inbox: { label: "Inbox", status: [NotificationStatus.UNSEEN, NotificationStatus.SEEN] },
  unseen: { label: "Unread", status: [NotificationStatus.UNSEEN] },
  archived: { label: "Archived", status: [NotificationStatus.ARCHIVED] },
  all: { label: "All", status: [] },
};

const stateWord = (s: State) => (State[s] ?? "changed").toLowerCase();
const rightWord = (r: Right) => (Right[r] ?? String(r)).toLowerCase().replace(/_/g, " ");

/** "user alice", "gateway gw-1": the entity a notification is about. */
function entityOf(n: Notification): { kind: string; id: string } {
  const ids = n.entityIds?.ids;
  if (!ids?.case) return { kind: "entity", id: "" };
  const value = ids.value as unknown as Record<string, unknown>;
  const id = String(value.userId ?? value.applicationId ?? value.gatewayId ?? value.organizationId ?? value.clientId ?? value.deviceId ?? "");
  return { kind: ids.case.replace(/Ids$/, "").replace(/([A-Z])/g, " $1").toLowerCase(), id };
}

/** What happened, as a sentence with the entity in it; `link` points where to look. */
function describeNotification(n: Notification, app: Pick<Console, "userId" | "isAdmin">): { text: string; link?: string } {
  const entity = entityOf(n);
  const yours = entity.kind === "user" && entity.id === app.userId;
  const subject = yours ? "your account" : `${entity.kind} ${entity.id}`;
  const data = n.data ? safeUnpack(n) : undefined;
  switch (n.notificationType) {
    case "api_key_created": {
      const key = data?.$typeName === APIKeySchema.typeName ? data as APIKey : undefined;
      const rights = key?.rights.length ? ` with ${key.rights.length} right${key.rights.length === 1 ? "" : "s"} (${key.rights.slice(0, 3).map(rightWord).join(", ")}${key.rights.length > 3 ? ", …" : ""})` : "";
      return { text: `A new API key “${key?.name || key?.id || "unnamed"}” was created for ${subject}${rights}.`, link: yours ? "#/api-keys" : undefined };
    }
    case "api_key_changed": {
      const key = data as { name?: string; id?: string } | undefined;
      return { text: `The API key “${key?.name || key?.id || "unnamed"}” of ${subject} was changed.`, link: yours ? "#/api-keys" : undefined };
    }
    case "password_changed":
      return { text: `The password of ${subject} was changed. If this was not you, contact an administrator.`, link: yours ? "#/profile" : undefined };
    case "user_requested": {
      const user = data?.$typeName === CreateUserRequestSchema.typeName ? (data as { user?: { name?: string; primaryEmailAddress?: string } }).user : undefined;
      const who = [user?.name, user?.primaryEmailAddress].filter(Boolean).join(", ");
      return {
        text: `${entity.id}${who ? ` (${who})` : ""} signed up and awaits approval.`,
        link: app.isAdmin ? `#/admin/users/${encodeURIComponent(entity.id)}` : undefined,
      };
    }
    case "entity_state_changed": {
      const change = data?.$typeName === EntityStateChangedNotificationSchema.typeName ? data as unknown as { state: State; stateDescription: string } : undefined;
      const state = change ? stateWord(change.state) : "changed";
      return {
        text: `The state of ${subject} is now ${state}${change?.stateDescription ? `: ${change.stateDescription}` : ""}.`,
        link: !yours && app.isAdmin && entity.kind === "user" ? `#/admin/users/${encodeURIComponent(entity.id)}` : undefined,
      };
    }
    default:
      return { text: `${n.notificationType.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase())} about ${subject}.` };
  }
}

function safeUnpack(n: Notification) {
  try {
    return anyUnpack(n.data!, anyTypes);
  } catch {
    return undefined;
  }
}

/** "5 minutes ago", with the exact time in the title. */
function ago(n: Notification): HTMLElement {
  if (!n.createdAt) return h("span", null, "");
  const at = timestampDate(n.createdAt);
  const seconds = Math.max(0, (Date.now() - at.getTime()) / 1000);
  const text = seconds < 60 ? "just now" : seconds < 3600 ? `${Math.floor(seconds / 60)} min ago`
    : seconds < 86400 ? `${Math.floor(seconds / 3600)} h ago` : at.toLocaleDateString();
  return h("time", { dateTime: at.toISOString(), title: formatTime(n.createdAt) }, text);
}

export async function notificationsView(app: Console, root: HTMLElement): Promise<void> {
  const receiverIds = { userId: app.userId };
  const state: PageState & { filter: string } = { page: 1, limit: 10, filter: "inbox" };
  const status = h("p", { class: "form-message", role: "status" });
  const list = h("div", { class: "list" });
  const filter = h("select", { name: "status", id: "notification-filter" },
    Object.entries(FILTERS).map(([value, f]) => h("option", { value }, f.label)));
  filter.addEventListener("change", () => { state.filter = filter.value; state.page = 1; void load(); });
  const markAll = h("button", { type: "button", class: "secondary", id: "mark-all-seen", onclick: () => void markAllSeen() }, "Mark all as read");
  const changed = () => window.dispatchEvent(new Event("notifications-changed"));

  async function load(): Promise<void> {
    try {
      const { items, total } = await listPage((o) => app.client.notifications.list({ receiverIds, status: FILTERS[state.filter]?.status ?? [], limit: state.limit, page: state.page }, o), (r) => r.notifications);
      replace(list,
        items.length
          ? h("ul", { class: "notifications", id: "notifications" }, items.map(item))
          : h("p", { class: "empty" }, state.filter === "archived" ? "No archived notifications." : "No notifications."),
        pager(state, total, items.length, (page) => { state.page = page; void load(); }));
    } catch (err) {
      if (isIdentityError(err) && err.code === Code.Unimplemented) replace(root, unavailable("Notifications", err));
      else throw err;
    }
  }

  async function mark(ids: string[], to: NotificationStatus): Promise<void> {
    try {
      await app.client.notifications.updateStatus({ receiverIds, ids, status: to });
      changed();
      await load();
    } catch (err) {
      status.textContent = describe(err);
      status.className = "form-message error";
    }
  }

  async function markAllSeen(): Promise<void> {
    const { items } = await listPage((o) => app.client.notifications.list({ receiverIds, status: [NotificationStatus.UNSEEN], limit: 100 }, o), (r) => r.notifications);
    if (!items.length) { status.textContent = "Nothing unread."; status.className = "form-message ok"; return; }
    await mark(items.map((n) => n.id), NotificationStatus.SEEN);
  }

  function item(n: Notification): HTMLElement {
    const { text, link } = describeNotification(n, app);
    const unseen = n.status === NotificationStatus.UNSEEN;
    const short = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    return h("li", { class: `notification${unseen ? " unseen" : ""}`, "data-notification-id": n.id, "data-type": n.notificationType },
      h("p", { class: "sentence" }, unseen ? h("span", { class: "dot", "aria-label": "unread" }, "●") : null, " ", text),
      h("p", { class: "meta" }, ago(n), n.senderIds?.userId ? ` · by ${n.senderIds.userId}` : "",
        link ? [" · ", h("a", { href: link }, "Open")] : null),
      h("div", { class: "actions" },
        unseen ? h("button", { type: "button", class: "secondary", "aria-label": `Mark as read: ${short}`, onclick: () => void mark([n.id], NotificationStatus.SEEN) }, "Mark as read") : null,
        n.status !== NotificationStatus.ARCHIVED
          ? h("button", { type: "button", class: "secondary", "aria-label": `Archive: ${short}`, onclick: () => void mark([n.id], NotificationStatus.ARCHIVED) }, "Archive")
          : h("button", { type: "button", class: "secondary", "aria-label": `Unarchive: ${short}`, onclick: () => void mark([n.id], NotificationStatus.SEEN) }, "Unarchive")));
  }

  root.append(h("div", { class: "toolbar" }, h("label", { htmlFor: filter.id }, "Show"), filter, markAll), status, list);
  await load();
}
