// The page of the validation mail's link (`/oauth/validate?reference=…&token=…` redirects here): confirms the
// address with EmailValidationRegistry.Validate, logged in or not. The reference and token can also be typed in.
import { isIdentityError } from "../../../client/index.js";
import { takeFromQuery, type Clients } from "../app.js";
import { field, h, input, onSubmit, replace } from "../dom.js";

const VALIDATE_ERRORS = {
  "pkg/identityserver/store:validation_token_not_found": "token",
  "pkg/identityserver/store:validation_token_expired": "token",
  "pkg/identityserver/store:validation_token_already_used": "token",
};

export function validateView(clients: Pick<Clients, "client">, root: HTMLElement): void {
  const { reference, token } = takeFromQuery("reference", "token");
  const form = onSubmit(
    h("form", { class: "card", id: "validate-form", "aria-label": "confirm your e-mail address", novalidate: true },
      h("h2", null, "Confirm your e-mail address"),
      h("p", null, "The reference and the confirmation token are in the e-mail we sent you."),
      field("Reference", input("id", { value: reference, required: true })),
      field("Confirmation token", input("token", { value: token, required: true })),
      h("button", { type: "submit" }, "Confirm e-mail address")),
    async (data) => {
      const id = String(data.get("id") ?? "").trim();
      const secret = String(data.get("token") ?? "").trim();
      try {
        await clients.client.emailValidation.validate({ id, token: secret });
      } catch (err) {
        if (isIdentityError(err) && err.is("pkg/identityserver/store:validation_token_already_used")) {
          throw new Error("This link was already used, or a newer one was sent. If your address is not confirmed yet, ask for a new e-mail on your profile page.");
        }
        if (isIdentityError(err) && err.is("pkg/identityserver/store:validation_token_expired")) {
          throw new Error("This link has expired. Log in and ask for a new e-mail on your profile page.");
        }
        if (isIdentityError(err) && err.is("pkg/identityserver/store:validation_token_not_found")) {
          throw new Error("This reference and token do not match a pending confirmation. Use the newest e-mail we sent you.");
        }
        throw err;
      }
      replace(root,
        h("div", { class: "card done", id: "validate-done", role: "status" },
          h("h2", null, "E-mail address confirmed"),
          h("p", null, "Thank you: your e-mail address is confirmed."),
          h("p", null, h("a", { href: "#/profile" }, "Continue"))));
      window.dispatchEvent(new Event("email-validated")); // the shell drops its "confirm your address" banner
    },
    VALIDATE_ERRORS,
  );
  root.append(form);
  if (reference && token) form.requestSubmit();
}
