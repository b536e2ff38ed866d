// Single sign-on in the console: a "Sign in with <provider>" button per provider on the login page, and the page a
// provider sign-in lands on when its e-mail address belongs to an existing account (#/link-account), which asks
// for that account's password before the two are linked.
import type { AccountClient } from "../../../client/index.js";
import type { Clients } from "../app.js";
import { describe, field, h, input, onSubmit, replace } from "../dom.js";

/** The provider buttons; empty until the list arrives, and stays empty when there are none. */
export function providerButtons(account: AccountClient): HTMLElement {
  const slot = h("section", { class: "card sso-providers", id: "sso-providers", "aria-label": "sign in with a provider", hidden: true });
  account.loginProviders().then((providers) => {
    if (!providers.length) return;
    replace(slot,
      h("h2", null, "Single sign-on"),
      h("div", { class: "sso-buttons" }, providers.map((p) =>
        // A plain link: the sign-in is a top-level navigation to the provider and back.
        h("a", { class: "button sso-button", href: p.loginUrl, "data-provider-id": p.providerId }, `Sign in with ${p.name}`))));
    slot.hidden = false;
  }).catch(() => { /* the password form still works; nothing to offer */ });
  return slot;
}

export function linkAccountView(clients: Clients, root: HTMLElement, loggedIn: () => void): void {
  const card = h("section", { class: "card", id: "link-account", "aria-label": "link your account" }, h("p", null, "Loading…"));
  root.append(card);
  clients.account.pendingProviderLink().then((pending) => {
    const form = onSubmit(
      h("form", { id: "link-account-form", "aria-label": "confirm with your password" },
        // The user ID goes with the password so password managers fill the right entry.
        h("input", { type: "hidden", name: "user_id", autocomplete: "username", value: pending.userId }),
        field("Password", input("password", { type: "password", autocomplete: "current-password", required: true, autofocus: true })),
        h("button", { type: "submit" }, `Link and sign in`)),
      async (data) => {
        await clients.account.confirmProviderLink(String(data.get("password")));
        history.replaceState(history.state, "", location.pathname + location.search);
        loggedIn();
      },
      { "pkg/account/session:no_user_id_password_match": "password", "pkg/account:missing_password": "password" },
    );
    replace(card,
      h("h2", null, `Link ${pending.providerName} to your account`),
      h("p", null, "An account with the e-mail address ", h("strong", null, pending.email), " already exists here: ",
        h("strong", { "data-user-id": pending.userId }, pending.userId),
        `. Enter its password to sign in with ${pending.providerName} from now on.`),
      form);
  }).catch((err: unknown) => {
    replace(card, h("h2", null, "Link your account"), h("p", { class: "form-message error", role: "alert" }, describe(err)),
      h("p", null, h("a", { href: "#/login" }, "Back to the login page")));
  });
}
