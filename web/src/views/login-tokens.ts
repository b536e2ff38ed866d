// Admin: issue a login token for a user. The server e-mails it, or returns it to the admin when e-mail is skipped
// (never for another admin); it requires LOGIN_TOKENS_ENABLED.
import type { Console } from "../app.js";
import { field, flash, h, input, onSubmit, replace } from "../dom.js";

export function loginTokensView(app: Console, root: HTMLElement): void {
  const result = h("div", { class: "secret-slot" });
  const form = onSubmit(
    h("form", { class: "card", id: "login-token-form" },
      h("h2", null, "Create a login token"),
      field("User ID", input("user_id", { required: true })),
      field("Show the token here instead of e-mailing it", input("skip_email", { type: "checkbox" })),
      h("button", { type: "submit" }, "Create login token")),
    async (data) => {
      const userId = String(data.get("user_id")).trim();
      const res = await app.client.access.createLoginToken({ userIds: { userId }, skipEmail: data.get("skip_email") === "on" });
      if (res.token) {
        replace(result, h("div", { class: "card secret", role: "status" },
          h("p", null, `Login token for ${userId} (shown once):`), h("code", { class: "login-token" }, res.token)));
      } else {
        replace(result);
        flash(form, `A login token was e-mailed to ${userId}.`, "ok");
      }
    },
    { "pkg/identityserver/store:user_not_found": "user_id", "pkg/identityserver/store:entity_not_found": "user_id" },
  );
  root.append(form, result);
}
