// Logged out: "Forgot password?" asks for a temporary password (UserRegistry.CreateTemporaryPassword), which the
// server e-mails with a link to #/update-password, prefilled. The answer never says whether the account exists.
import { isIdentityError } from "../../../client/index.js";
import type { Clients } from "../app.js";
import { field, h, input, onSubmit, replace } from "../dom.js";
import { backToLogin } from "./register.js";

export function forgotPasswordView(clients: Clients, root: HTMLElement): void {
  const form = onSubmit(
    h("form", { class: "card", id: "forgot-password-form", "aria-label": "reset your password", novalidate: true },
      h("h2", null, "Forgot your password?"),
      h("p", null, "Enter your user ID. We e-mail a temporary password and a link to choose a new password to the address of that account."),
      field("User ID", input("user_id", { autocomplete: "username", required: true, autofocus: true })),
      h("button", { type: "submit" }, "Send me a temporary password")),
    async (data) => {
      const userId = String(data.get("user_id") ?? "").trim();
      if (!userId) throw new Error("Enter your user ID.");
      let note = "If an account with this user ID exists, a temporary password is on its way to the account's e-mail address. It is valid for a short time: open the link in the e-mail to choose a new password.";
      try {
        await clients.client.users.createTemporaryPassword({ userIds: { userId } });
      } catch (err) {
        if (!isIdentityError(err)) throw err;
        if (err.is("pkg/identityserver:temporary_password_still_valid")) {
          note = "A temporary password was sent a short while ago and is still valid. Check your e-mail (and its spam folder), or try again later.";
        } else if (err.is("pkg/identityserver:external_user")) {
          note = "This account signs in with single sign-on: use the sign-in button of your provider on the login page.";
        } else if (!err.is("pkg/identityserver/store:user_not_found")) {
          throw err;
        }
      }
      replace(root,
        h("div", { class: "card done", id: "forgot-password-done", role: "status" }, h("h2", null, "Check your e-mail"), h("p", null, note)),
        backToLogin());
    },
    { "pkg/ttnpb:identifiers": "user_id" },
  );
  root.append(form, backToLogin());
}
