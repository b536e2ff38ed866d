// Set a new password with the current or a temporary one (UserRegistry.UpdatePassword needs no session). The
// temporary-password e-mail's `/oauth/update-password?user=…&current=…` redirects here, prefilled, whether or not
// the browser is logged in.
import { takeFromQuery, type Clients } from "../app.js";
import { field, h, input, onSubmit, passwordErrors, replace } from "../dom.js";
import { passwordRulesHint } from "../password-rules.js";
import { loginView } from "./login.js";
import { backToLogin } from "./register.js";

const UPDATE_PASSWORD_ERRORS = {
  "pkg/identityserver/store:user_not_found": "user_id",
  "pkg/identityserver:old_password": "old",
  "pkg/identityserver:temporary_password_expired": "old",
  ...passwordErrors("new", ["password_equals_old"]),
};

/** Logged out, a changed password leads to the login form; logged in (`loggedIn` undefined), back to the profile. */
export function updatePasswordView(clients: Clients, root: HTMLElement, loggedIn?: () => void): void {
  const { user, current } = takeFromQuery("user", "current");
  const form = onSubmit(
    h("form", { class: "card", id: "update-password-form", "aria-label": "set a new password", novalidate: true },
      h("h2", null, "Set a new password"),
      field("User ID", input("user_id", { autocomplete: "username", required: true, value: user, autofocus: !user })),
      field("Current or temporary password", input("old", { type: "password", autocomplete: "current-password", required: true, value: current }),
        current ? "The temporary password from your e-mail." : undefined),
      field("New password", input("new", { type: "password", autocomplete: "new-password", required: true, autofocus: Boolean(user) }), passwordRulesHint(clients.client)),
      h("button", { type: "submit" }, "Set password")),
    async (data) => {
      const userId = String(data.get("user_id")).trim();
      await clients.client.users.updatePassword({ userIds: { userId }, old: String(data.get("old")), new: String(data.get("new")) });
      replace(root,
        h("div", { class: "card done", id: "update-password-done", role: "status" },
          h("h2", null, "Password changed"),
          loggedIn
            ? h("p", null, "Log in with your new password. Your other sessions were ended.")
            : h("p", null, "Your other sessions were ended. ", h("a", { href: "#/profile" }, "Back to your profile"))));
      if (loggedIn) loginView(clients.account, root, loggedIn, userId);
    },
    UPDATE_PASSWORD_ERRORS,
  );
  root.append(form);
  if (loggedIn) root.append(backToLogin());
}
