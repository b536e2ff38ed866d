// Admin: one user's page (#/admin/users/<id>): profile, state and its history, approve or reject a requested
// account, send a password reset (temporary password mail), edit admin-only fields, and the user's API keys and
// sessions (listing another user's credentials needs ADMIN_RIGHTS_ALL, as upstream; without it a notice says so).
import { Code, isIdentityError, listPage, Right, State, type User } from "../../../client/index.js";
import type { Console } from "../app.js";
import { describe, field, flash, formatTime, h, input, onSubmit, replace } from "../dom.js";
import { rightLabel } from "../rights.js";

const EDIT_PATHS = ["name", "description", "primary_email_address", "state", "state_description", "admin", "require_password_update"];
const SHOW_PATHS = [...EDIT_PATHS, "created_at", "updated_at", "deleted_at", "primary_email_address_validated_at", "password_updated_at"];
export const STATES = [State.APPROVED, State.REQUESTED, State.REJECTED, State.FLAGGED, State.SUSPENDED];
export const stateName = (s: State): string => State[s]?.toLowerCase() ?? String(s);

function stateSelect(value: State): HTMLSelectElement {
  return h("select", { name: "state" }, STATES.map((s) => h("option", { value: String(s), selected: s === value }, stateName(s))));
}

/** Approve or reject a requested user (UserRegistry.Update of state, with an optional reason). */
export async function decide(app: Console, userId: string, state: State.APPROVED | State.REJECTED, reason = ""): Promise<void> {
  await app.client.users.update({
    user: { ids: { userId }, state, stateDescription: reason },
    fieldMask: { paths: ["state", "state_description"] },
  });
}

export async function adminUserView(app: Console, root: HTMLElement, userId: string): Promise<void> {
  const userIds = { userId };
  const status = h("p", { class: "form-message", role: "status" });
  const say = (text: string, kind: "ok" | "error") => { status.textContent = text; status.className = `form-message ${kind}`; };
  let user: User;
  try {
    user = await app.client.users.get({ userIds, fieldMask: { paths: SHOW_PATHS } });
  } catch (err) {
    if (isIdentityError(err) && err.code === Code.NotFound) {
      root.append(h("p", { class: "notice" }, `There is no user “${userId}”. `, h("a", { href: "#/admin/users" }, "Back to users")));
      return;
    }
    throw err;
  }

  const summary = h("section", { class: "card", id: "user-summary", "aria-labelledby": "user-summary-title" });
  const renderSummary = () => replace(summary,
    h("h2", { id: "user-summary-title" }, user.name || userId),
    h("dl", { class: "facts" },
      h("dt", null, "User ID"), h("dd", null, userId),
      h("dt", null, "E-mail"), h("dd", null, user.primaryEmailAddress, " ",
        user.primaryEmailAddressValidatedAt ? h("span", { class: "badge ok" }, "confirmed") : h("span", { class: "badge warn" }, "not confirmed")),
      h("dt", null, "State"), h("dd", { "data-state": stateName(user.state) }, stateName(user.state), user.stateDescription ? ` — ${user.stateDescription}` : ""),
      h("dt", null, "Administrator"), h("dd", null, user.admin ? "yes" : "no"),
      h("dt", null, "Created"), h("dd", null, formatTime(user.createdAt)),
      h("dt", null, "Last changed"), h("dd", null, formatTime(user.updatedAt)),
      h("dt", null, "Password changed"), h("dd", null, formatTime(user.passwordUpdatedAt))),
    user.state === State.REQUESTED
      ? h("div", { class: "row decision" },
        h("button", { type: "button", id: "approve-user", onclick: () => void setState(State.APPROVED) }, `Approve ${userId}`),
        h("button", { type: "button", class: "danger", id: "reject-user", onclick: () => void setState(State.REJECTED) }, `Reject ${userId}`))
      : null,
    h("div", { class: "row" },
      h("button", { type: "button", class: "secondary", id: "reset-password", onclick: () => void resetPassword() }, `Send ${userId} a password reset`)),
    status);

  async function setState(state: State.APPROVED | State.REJECTED): Promise<void> {
    const reason = state === State.REJECTED ? prompt(`Why is ${userId} rejected? (shown to the user, optional)`) : "";
    if (reason === null) return;
    try {
      await decide(app, userId, state, reason);
      user.state = state;
      user.stateDescription = reason;
      renderSummary();
      say(state === State.APPROVED ? `${userId} is approved and can log in now.` : `${userId} is rejected.`, "ok");
      replace(history, h("h2", { id: "user-history-title" }, "State history"));
      await loadHistory();
      await renderEdit();
    } catch (err) {
      say(describe(err), "error");
    }
  }

  async function resetPassword(): Promise<void> {
    if (!confirm(`E-mail ${userId} a temporary password to choose a new one?`)) return;
    try {
      await app.client.users.createTemporaryPassword({ userIds });
      say(`A temporary password was e-mailed to ${user.primaryEmailAddress}.`, "ok");
    } catch (err) {
      say(describe(err), "error");
    }
  }

  const editSlot = h("div", { class: "editor-slot" });
  async function renderEdit(): Promise<void> {
    const form = onSubmit(
      h("form", { class: "card", id: "edit-user-form", "data-user-id": userId, novalidate: true },
        h("h2", null, `Edit ${userId}`),
        field("Name", input("name", { value: user.name })),
        field("Description", h("textarea", { name: "description", rows: 2 }, user.description)),
        field("E-mail address", input("primary_email_address", { type: "email", value: user.primaryEmailAddress })),
        field("State", stateSelect(user.state)),
        field("State description", input("state_description", { value: user.stateDescription }), "Shown to the user, e.g. why the account is suspended."),
        field("Administrator", input("admin", { type: "checkbox", checked: user.admin })),
        field("Require a password change at next login", input("require_password_update", { type: "checkbox", checked: user.requirePasswordUpdate })),
        h("button", { type: "submit" }, `Save ${userId}`)),
      async (data) => {
        const next = {
          name: String(data.get("name") ?? ""),
          description: String(data.get("description") ?? ""),
          primaryEmailAddress: String(data.get("primary_email_address") ?? "").trim(),
          state: Number(data.get("state")) as State,
          stateDescription: String(data.get("state_description") ?? ""),
          admin: data.get("admin") === "on",
          requirePasswordUpdate: data.get("require_password_update") === "on",
        };
        const paths = ([
          ["name", next.name !== user.name], ["description", next.description !== user.description],
          ["primary_email_address", next.primaryEmailAddress !== user.primaryEmailAddress], ["state", next.state !== user.state],
          ["state_description", next.stateDescription !== user.stateDescription], ["admin", next.admin !== user.admin],
          ["require_password_update", next.requirePasswordUpdate !== user.requirePasswordUpdate],
        ] as const).filter(([, changed]) => changed).map(([path]) => path);
        if (!paths.length) { flash(form, "Nothing changed.", "ok"); return; }
        await app.client.users.update({ user: { ids: userIds, ...next }, fieldMask: { paths: [...paths] } });
        Object.assign(user, next);
        renderSummary();
        flash(form, "User saved.", "ok");
      },
      { "pkg/identityserver:last_admin": "admin" },
    );
    replace(editSlot, form);
  }

  const keys = h("section", { class: "card", id: "user-api-keys", "aria-labelledby": "user-keys-title" }, h("h2", { id: "user-keys-title" }, "API keys"));
  const sessions = h("section", { class: "card", id: "user-sessions", "aria-labelledby": "user-sessions-title" }, h("h2", { id: "user-sessions-title" }, "Sessions"));
  const history = h("section", { class: "card", id: "user-state-history", "aria-labelledby": "user-history-title" }, h("h2", { id: "user-history-title" }, "State history"));
  async function loadHistory(): Promise<void> {
    try {
      const changes = await app.account.stateHistory(userId);
      history.append(changes.length
        ? h("ol", { class: "history" }, changes.map((c) => h("li", { "data-state": c.state.replace(/^STATE_/, "").toLowerCase() },
          h("strong", null, c.state.replace(/^STATE_/, "").toLowerCase()), c.stateDescription ? ` — ${c.stateDescription}` : "",
          h("span", { class: "muted" }, ` · ${c.createdAt.toLocaleString()}${c.changedBy ? ` by ${c.changedBy}` : " (sign-up)"}`))))
        : h("p", { class: "empty" }, "No state changes recorded (accounts created before this server kept a history)."));
    } catch (err) {
      history.append(h("p", { class: "form-message error" }, describe(err)));
    }
  }

  const needsAllRights = (what: string) => h("p", { class: "notice" }, `Seeing another user's ${what} needs the server setting ADMIN_RIGHTS_ALL=true.`);

  async function loadKeys(): Promise<void> {
    try {
      const { items, total } = await listPage((o) => app.client.access.listAPIKeys({ userIds, limit: 20, order: "-created_at" }, o), (r) => r.apiKeys);
      keys.append(items.length
        ? h("table", { class: "table" },
          h("thead", null, h("tr", null, h("th", null, "Name"), h("th", null, "Rights"), h("th", null, "Created"), h("th", null, "Expires"))),
          h("tbody", null, items.map((k) => h("tr", { "data-api-key-id": k.id },
            h("td", null, k.name || k.id), h("td", { class: "rights-cell", "data-rights": k.rights.map((r) => Right[r] ?? String(r)).join(" ") }, k.rights.map(rightLabel).join(", ")),
            h("td", null, formatTime(k.createdAt)), h("td", null, formatTime(k.expiresAt))))))
        : h("p", { class: "empty" }, "No API keys."),
      total && total > items.length ? h("p", { class: "muted" }, `Showing ${items.length} of ${total}.`) : "");
    } catch (err) {
      keys.append(isIdentityError(err) && err.code === Code.PermissionDenied ? needsAllRights("API keys") : h("p", { class: "form-message error" }, describe(err)));
    }
  }

  async function loadSessions(): Promise<void> {
    try {
      const { items, total } = await listPage((o) => app.client.sessions.list({ userIds, limit: 20, order: "-created_at" }, o), (r) => r.sessions);
      sessions.append(items.length
        ? h("table", { class: "table" },
          h("thead", null, h("tr", null, h("th", null, "Started"), h("th", null, "Last active"), h("th", null, "Expires"))),
          h("tbody", null, items.map((s) => h("tr", { "data-session-id": s.sessionId },
            h("td", null, formatTime(s.createdAt)), h("td", null, formatTime(s.updatedAt)), h("td", null, formatTime(s.expiresAt))))))
        : h("p", { class: "empty" }, "No sessions."),
      total && total > items.length ? h("p", { class: "muted" }, `Showing ${items.length} of ${total}.`) : "");
    } catch (err) {
      sessions.append(isIdentityError(err) && err.code === Code.PermissionDenied ? needsAllRights("sessions") : h("p", { class: "form-message error" }, describe(err)));
    }
  }

  renderSummary();
  await renderEdit();
  root.append(h("p", null, h("a", { href: "#/admin/users", class: "back" }, "‹ All users")), summary, history, editSlot, keys, sessions);
  await Promise.all([loadHistory(), loadKeys(), loadSessions()]);
}
