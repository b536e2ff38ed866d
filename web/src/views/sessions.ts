// The user's browser sessions: browser, address, when started and last active; end one, or all but this one
// (ending this one logs out). The details come from the account endpoint `/oauth/api/sessions`.
import type { BrowserSession } from "../../../client/index.js";
import type { Console } from "../app.js";
import { describe, h, replace } from "../dom.js";

/** "Chrome 120 on Linux" from a User-Agent header; the raw header stays in the title. */
function describeBrowser(userAgent: string): string {
  if (!userAgent) return "Unknown browser";
  const browser = [
    ["Edge", /Edg(?:e|A|iOS)?\/(\d+)/], ["Opera", /OPR\/(\d+)/], ["Firefox", /(?:Firefox|FxiOS)\/(\d+)/],
    ["Chrome", /(?:Chrome|CriOS)\/(\d+)/], ["Safari", /Version\/(\d+).*Safari/], ["curl", /curl\/(\d+)/], ["Node.js", /node/i],
  ] as const;
  const os = [
    ["Android", /Android/], ["iOS", /iPhone|iPad|iPod/], ["Windows", /Windows/], ["macOS", /Mac OS X|Macintosh/], ["ChromeOS", /CrOS/], ["Linux", /Linux/],
  ] as const;
  const b = browser.find(([, re]) => re.test(userAgent));
  const version = b ? re1(b[1], userAgent) : "";
  const o = os.find(([, re]) => re.test(userAgent));
  const name = b ? `${b[0]}${version ? ` ${version}` : ""}` : userAgent.split(/[\s/]/)[0] || "Unknown browser";
  return o ? `${name} on ${o[0]}` : name;
}
const re1 = (re: RegExp, s: string) => re.exec(s)?.[1] ?? "";

const when = (d: Date | undefined) => (d ? d.toLocaleString() : "—");

export async function sessionsView(app: Console, root: HTMLElement): Promise<void> {
  const status = h("p", { class: "form-message", role: "status" });
  const list = h("div", { class: "list" });
  const say = (text: string, kind: "ok" | "error") => { status.textContent = text; status.className = `form-message ${kind}`; };
  const endOthers = h("button", { type: "button", class: "danger", id: "end-other-sessions", onclick: async () => {
    if (!confirm("Sign out all other sessions? Every other browser is logged out.")) return;
    endOthers.disabled = true;
    try {
      const ended = await app.account.endOtherSessions();
      say(ended ? `Signed out ${ended} other session${ended === 1 ? "" : "s"}.` : "There were no other sessions.", "ok");
      await load();
    } catch (err) {
      say(describe(err), "error");
    } finally {
      endOthers.disabled = false;
    }
  } }, "Sign out all other sessions");

  async function load(): Promise<void> {
    const rows = await app.account.sessions();
    const others = rows.filter((s) => !s.current).length;
    endOthers.hidden = others === 0;
    replace(list,
      h("p", { class: "total" }, `${rows.length} session${rows.length === 1 ? "" : "s"}${others ? `, ${others} on other browsers` : ""}.`),
      h("table", { class: "table", id: "sessions" },
        h("thead", null, h("tr", null, h("th", null, "Browser"), h("th", null, "Address"), h("th", null, "Started"), h("th", null, "Last active"), h("th", null, "Expires"), h("th", null, h("span", { class: "visually-hidden" }, "Actions")))),
        h("tbody", null, rows.map(row))));
  }

  function row(session: BrowserSession): HTMLElement {
    const browser = describeBrowser(session.userAgent);
    const end = async (button: HTMLButtonElement) => {
      if (!confirm(session.current ? "End this session? You will be logged out." : `End the session of ${browser}?`)) return;
      button.disabled = true;
      try {
        await app.client.sessions.delete({ userIds: { userId: app.userId }, sessionId: session.sessionId });
        if (session.current) { app.loggedOut(); return; }
        say(`Ended the session of ${browser}.`, "ok");
        await load();
      } catch (err) {
        button.disabled = false;
        say(describe(err), "error");
      }
    };
    return h("tr", { "data-session-id": session.sessionId, class: session.current ? "current" : "" },
      h("td", { title: session.userAgent }, browser, session.current ? h("span", { class: "badge" }, "this browser") : null),
      h("td", null, session.clientAddress || "—"),
      h("td", null, when(session.createdAt)), h("td", null, when(session.lastSeenAt)), h("td", null, when(session.expiresAt)),
      h("td", { class: "actions" }, h("button", {
        type: "button", class: "danger", "aria-label": session.current ? "End this session (log out)" : `End session of ${browser} started ${when(session.createdAt)}`,
        onclick: (e: Event) => void end(e.currentTarget as HTMLButtonElement),
      }, session.current ? "Log out" : "End session")));
  }

  root.append(h("div", { class: "toolbar" }, endOthers), status, list);
  await load();
}
