// Logged out: create an account (UserRegistry.Create without credentials), with the invitation token of an
// invitation e-mail (`/oauth/register?invitation_token=…` redirects here), then log in.
import { isIdentityError, State } from "../../../client/index.js";
import { takeFromQuery, type Clients } from "../app.js";
import { field, h, input, onSubmit, passwordErrors, replace } from "../dom.js";
import { passwordRulesHint } from "../password-rules.js";
import { loginView } from "./login.js";

const REGISTER_ERRORS = {
  "pkg/ttnpb:identifiers": "user_id",
  "pkg/identityserver/blocklist:forbidden_id": "user_id",
  ...passwordErrors("password"),
  "pkg/identityserver:invitation_token_required": "invitation_token",
  "pkg/identityserver/store:invitation_not_found": "invitation_token",
  "pkg/identityserver/store:invitation_expired": "invitation_token",
  "pkg/identityserver/store:invitation_already_used": "invitation_token",
};

export function registerView(clients: Clients, root: HTMLElement, loggedIn: () => void): void {
  const { invitation_token: invitation } = takeFromQuery("invitation_token");
  const form = onSubmit(
    h("form", { class: "card", id: "register-form", "aria-label": "create an account", novalidate: true },
      h("h2", null, "Create an account"),
      field("User ID", input("user_id", { autocomplete: "username", required: true, autofocus: true }), "2–36 lowercase letters, digits and dashes, starting and ending with a letter or digit."),
      field("E-mail address", input("primary_email_address", { type: "email", autocomplete: "email", required: true })),
      field("Password", input("password", { type: "password", autocomplete: "new-password", required: true }), passwordRulesHint(clients.client)),
      field("Name (optional)", input("name", { autocomplete: "name" })),
      field("Invitation token", input("invitation_token", { value: invitation }),
        invitation ? "From your invitation e-mail." : "From an invitation e-mail; not needed where registration is open."),
      h("button", { type: "submit" }, "Create account")),
    async (data) => {
      const userId = String(data.get("user_id")).trim();
      let user;
      try {
        user = await clients.client.users.create({
          user: {
            ids: { userId },
            primaryEmailAddress: String(data.get("primary_email_address")).trim(),
            password: String(data.get("password")),
            name: String(data.get("name") ?? "").trim(),
          },
          invitationToken: String(data.get("invitation_token") ?? "").trim(),
        });
      } catch (err) {
        // The server does not tell which of the two unique fields collided.
        if (isIdentityError(err) && err.is("pkg/util/store:already_exists")) throw new Error("This user ID or e-mail address is already registered.");
        throw err;
      }
      const awaitsApproval = user.state === State.REQUESTED;
      replace(root,
        h("div", { class: "card done", id: "register-done", role: "status", "data-state": State[user.state] ?? String(user.state) },
          h("h2", null, "Account created"),
          h("p", null, `Your account ${userId} was created. `,
            awaitsApproval ? "It awaits an administrator's approval: you can log in once it is approved." : "You can log in now.")));
      loginView(clients.account, root, loggedIn, userId);
    },
    REGISTER_ERRORS,
  );
  root.append(form, backToLogin());
}

export const backToLogin = (): HTMLElement => h("p", { class: "auth-links" }, h("a", { href: "#/login" }, "Back to log in"));
