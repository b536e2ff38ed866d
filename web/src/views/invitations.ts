// Admin: invite people by e-mail, see pending and accepted invitations, revoke them. Degrades to a notice when
// the server has no UserInvitationRegistry.
import { Code, isIdentityError, listPage, type Invitation } from "../../../client/index.js";
import type { Console } from "../app.js";
import { describe, field, flash, formatTime, h, input, onSubmit, replace, unavailable } from "../dom.js";
import { pager, type PageState } from "../pager.js";

export async function invitationsView(app: Console, root: HTMLElement): Promise<void> {
  const state: PageState = { page: 1, limit: 10 };
  const list = h("div", { class: "list" });

  const send = onSubmit(
    h("form", { class: "card", id: "invitation-form", novalidate: true },
      h("h2", null, "Send an invitation"),
      field("E-mail address", input("email", { type: "email", required: true })),
      h("button", { type: "submit" }, "Send invitation")),
    async (data) => {
      const email = String(data.get("email")).trim();
      await app.client.invitations.send({ email });
      send.reset();
      flash(send, `Invitation sent to ${email}.`, "ok");
      await load();
    },
    { "pkg/validate:email": "email", "pkg/identityserver/store:invitation_already_sent": "email" },
  );

  async function load(): Promise<void> {
    try {
      const { items, total } = await listPage((o) => app.client.invitations.list({ limit: state.limit, page: state.page }, o), (r) => r.invitations);
      replace(list,
        items.length
          ? h("table", { class: "table", id: "invitations" },
            h("thead", null, h("tr", null, h("th", null, "E-mail"), h("th", null, "Sent"), h("th", null, "Expires"), h("th", null, "Accepted by"), h("th", null, ""))),
            h("tbody", null, items.map(row)))
          : h("p", { class: "empty" }, "No invitations."),
        pager(state, total, items.length, (page) => { state.page = page; void load(); }));
    } catch (err) {
      if (isIdentityError(err) && err.code === Code.Unimplemented) replace(root, unavailable("Invitations", err));
      else throw err;
    }
  }

  function row(inv: Invitation): HTMLElement {
    const revoke = async () => {
      if (!confirm(`Revoke the invitation of ${inv.email}?`)) return;
      try {
        await app.client.invitations.delete({ email: inv.email });
        await load();
      } catch (err) {
        flash(send, describe(err), "error");
      }
    };
    return h("tr", { "data-email": inv.email },
      h("td", null, inv.email), h("td", null, formatTime(inv.createdAt)), h("td", null, formatTime(inv.expiresAt)),
      h("td", null, inv.acceptedBy?.userId ?? "—"),
      h("td", { class: "actions" }, inv.acceptedAt ? null : h("button", { type: "button", class: "danger", "aria-label": `Revoke the invitation of ${inv.email}`, onclick: revoke }, "Revoke")));
  }

  root.append(send, list);
  await load();
}
