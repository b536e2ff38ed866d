// The user's notifications: list by status, mark seen or archive. Degrades to a notice when the server has no
// NotificationService.
import { Code, isIdentityError, listPage, NotificationStatus, type Notification } from "../../../client/index.js";
import type { Console } from "../app.js";
import { describe, formatTime, h, replace, unavailable } from "../dom.js";
import { pager, type PageState } from "../pager.js";

const FILTERS: Record<string, NotificationStatus[]> = {
  inbox: [NotificationStatus.UNSEEN, NotificationStatus.SEEN],
  unseen: [NotificationStatus.UNSEEN],
  archived: [NotificationStatus.ARCHIVED],
  all: [],
};

export async function notificationsView(app: Console, root: HTMLElement): Promise<void> {
  const receiverIds = { userId: app.userId };
  const state: PageState & { filter: string } = { page: 1, limit: 10, filter: "inbox" };
  const status = h("p", { class: "form-message" });
  const list = h("div", { class: "list" });
  const filter = h("select", { name: "status", "aria-label": "show" },
    Object.keys(FILTERS).map((f) => h("option", { value: f }, f)));
  filter.addEventListener("change", () => { state.filter = filter.value; state.page = 1; void load(); });

  async function load(): Promise<void> {
    try {
      const { items, total } = await listPage((o) => app.client.notifications.list({ receiverIds, status: FILTERS[state.filter] ?? [], limit: state.limit, page: state.page }, o), (r) => r.notifications);
      replace(list,
        items.length
          ? h("table", { class: "table", id: "notifications" },
            h("thead", null, h("tr", null, h("th", null, "Type"), h("th", null, "From"), h("th", null, "Received"), h("th", null, "Status"), h("th", null, ""))),
            h("tbody", null, items.map(row)))
          : h("p", { class: "empty" }, "No notifications."),
        pager(state, total, items.length, (page) => { state.page = page; void load(); }));
    } catch (err) {
      if (isIdentityError(err) && err.code === Code.Unimplemented) replace(root, unavailable("Notifications", err));
      else throw err;
    }
  }

  async function mark(n: Notification, to: NotificationStatus): Promise<void> {
    try {
      await app.client.notifications.updateStatus({ receiverIds, ids: [n.id], status: to });
      await load();
    } catch (err) {
      status.textContent = describe(err);
      status.className = "form-message error";
    }
  }

  function row(n: Notification): HTMLElement {
    return h("tr", { "data-notification-id": n.id, class: n.status === NotificationStatus.UNSEEN ? "unseen" : "" },
      h("td", null, n.notificationType), h("td", null, n.senderIds?.userId ?? "—"), h("td", null, formatTime(n.createdAt)),
      h("td", null, NotificationStatus[n.status]?.toLowerCase() ?? String(n.status)),
      h("td", { class: "actions" },
        n.status === NotificationStatus.UNSEEN ? h("button", { type: "button", class: "secondary", onclick: () => void mark(n, NotificationStatus.SEEN) }, "Mark seen") : null,
        n.status !== NotificationStatus.ARCHIVED
          ? h("button", { type: "button", class: "secondary", onclick: () => void mark(n, NotificationStatus.ARCHIVED) }, "Archive")
          : h("button", { type: "button", class: "secondary", onclick: () => void mark(n, NotificationStatus.SEEN) }, "Unarchive")));
  }

  root.append(h("div", { class: "row" }, h("label", null, "Show ", filter)), status, list);
  await load();
}
