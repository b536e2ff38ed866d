// Log in with user ID and password, or with a login token an admin issued; both start the cookie session.
import type { AccountClient } from "../../../client/index.js";
import { takeFromQuery } from "../app.js";
import { field, h, input, onSubmit } from "../dom.js";
import { providerButtons } from "./sso.js";

/** `userId` prefills the password form (after registering or setting a new password). */
export function loginView(account: AccountClient, root: HTMLElement, loggedIn: () => void, userId = ""): void {
  const password = onSubmit(
    h("form", { class: "card", id: "login-form", "aria-label": "log in with password" },
      h("h2", null, "Log in"),
      field("User ID", input("user_id", { autocomplete: "username", required: true, autofocus: !userId, value: userId })),
      field("Password", input("password", { type: "password", autocomplete: "current-password", required: true })),
      h("button", { type: "submit" }, "Log in")),
    async (data) => {
      await account.login(String(data.get("user_id")).trim(), String(data.get("password")));
      loggedIn();
    },
    {
      "pkg/account:missing_user_id": "user_id",
      "pkg/account:missing_password": "password",
      "pkg/account/session:no_user_id_password_match": "password",
    },
  );
  const token = onSubmit(
    h("form", { class: "card", id: "token-login-form", "aria-label": "log in with a login token" },
      h("h2", null, "Log in with a login token"),
      field("Login token", input("token", { required: true })),
      h("button", { type: "submit" }, "Log in with token")),
    async (data) => {
      await account.tokenLogin(String(data.get("token")).trim());
      loggedIn();
    },
    {
      "pkg/account:missing_token": "token",
      "pkg/identityserver/store:login_token_not_found": "token",
      "pkg/identityserver/store:login_token_expired": "token",
      "pkg/identityserver/store:login_token_already_used": "token",
    },
  );
  const fromQuery = takeFromQuery("token").token; // the e-mailed link's token, kept only in the form
  if (fromQuery) (token.elements.namedItem("token") as HTMLInputElement).value = fromQuery;
  root.append(providerButtons(account), password, token);
}
