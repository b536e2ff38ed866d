// The user's browser sessions: see where it is logged in and end sessions (ending this one logs out).
import { listPage, type UserSession } from "../../../client/index.js";
import type { Console } from "../app.js";
import { formatTime, h, replace, describe } from "../dom.js";
import { pager, type PageState } from "../pager.js";

export async function sessionsView(app: Console, root: HTMLElement): Promise<void> {
  const userIds = { userId: app.userId };
  const state: PageState = { page: 1, limit: 10 };
  const status = h("p", { class: "form-message" });
  const list = h("div", { class: "list" });

  async function load(): Promise<void> {
    const { items, total } = await listPage((o) => app.client.sessions.list({ userIds, limit: state.limit, page: state.page, order: "-created_at" }, o), (r) => r.sessions);
    replace(list,
      h("table", { class: "table", id: "sessions" },
        h("thead", null, h("tr", null, h("th", null, "Session"), h("th", null, "Started"), h("th", null, "Last active"), h("th", null, "Expires"), h("th", null, ""))),
        h("tbody", null, items.map(row))),
      pager(state, total, items.length, (page) => { state.page = page; void load(); }));
  }

  function row(session: UserSession): HTMLElement {
    const current = session.sessionId === app.session.sessionId;
    const end = async () => {
      if (!confirm(current ? "End this session? You will be logged out." : "End this session?")) return;
      try {
        await app.client.sessions.delete({ userIds, sessionId: session.sessionId });
        if (current) { app.loggedOut(); return; }
        await load();
      } catch (err) {
        status.textContent = describe(err);
        status.className = "form-message error";
      }
    };
    return h("tr", { "data-session-id": session.sessionId, class: current ? "current" : "" },
      h("td", null, h("code", null, session.sessionId), current ? h("span", { class: "badge" }, "this session") : null),
      h("td", null, formatTime(session.createdAt)), h("td", null, formatTime(session.updatedAt)), h("td", null, formatTime(session.expiresAt)),
      h("td", { class: "actions" }, h("button", { type: "button", class: "danger", onclick: end }, "End session")));
  }

  root.append(status, list);
  await load();
}
