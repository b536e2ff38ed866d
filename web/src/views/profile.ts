// The user's own profile (name, description, e-mail) and password (for users who have one here: a user linked
// to a single sign-on provider is told where to change it instead).
import { isIdentityError, timestampDate, type User } from "../../../client/index.js";
import type { Console } from "../app.js";
import { clearErrors, describe, field, flash, formatTime, h, input, onSubmit, replace } from "../dom.js";
import { passwordRulesHint } from "../password-rules.js";

const PROFILE_PATHS = ["name", "description", "primary_email_address"] as const;

const PASSWORD_ERRORS = Object.fromEntries([
  "password_strength_min_length", "password_strength_max_length", "password_strength_uppercase", "password_strength_digits",
  "password_strength_special", "password_contains_user_id", "common_password", "password_equals_old",
].map((name) => [`pkg/identityserver:${name}`, "new"]));

export async function profileView(app: Console, root: HTMLElement): Promise<void> {
  const userIds = { userId: app.userId };
  const user = await app.client.users.get({ userIds, fieldMask: { paths: [...PROFILE_PATHS, "primary_email_address_validated_at", "created_at", "state", "admin"] } });
  const emailStatus = h("div", { class: "email-status", id: "email-status" });
  showEmailStatus(app, emailStatus, user);

  const name = input("name", { value: user.name, autocomplete: "name" });
  const description = h("textarea", { name: "description", rows: 3 }, user.description);
  const email = input("primary_email_address", { type: "email", value: user.primaryEmailAddress, autocomplete: "email" });
  const profile = onSubmit(
    h("form", { class: "card", id: "profile-form", novalidate: true },
      h("h2", null, "Profile"),
      h("p", { class: "muted" }, `User ID ${app.userId}`),
      field("Name", name),
      field("Description", description),
      field("E-mail address", email),
      emailStatus,
      h("button", { type: "submit" }, "Save profile")),
    async () => {
      const changed: Partial<Record<(typeof PROFILE_PATHS)[number], string>> = {};
      if (name.value !== user.name) changed.name = name.value;
      if (description.value !== user.description) changed.description = description.value;
      if (email.value !== user.primaryEmailAddress) changed.primary_email_address = email.value;
      const paths = Object.keys(changed);
      if (!paths.length) { flash(profile, "Nothing changed.", "ok"); return; }
      const updated = await app.client.users.update({
        user: { ids: userIds, name: name.value, description: description.value, primaryEmailAddress: email.value },
        fieldMask: { paths },
      });
      Object.assign(user, { name: updated.name || name.value, description: description.value, primaryEmailAddress: email.value });
      if (changed.primary_email_address !== undefined) {
        user.primaryEmailAddressValidatedAt = updated.primaryEmailAddressValidatedAt;
        showEmailStatus(app, emailStatus, user);
      }
      flash(profile, changed.primary_email_address !== undefined && !user.primaryEmailAddressValidatedAt
        ? `Profile saved. We sent a confirmation link to ${email.value}.`
        : "Profile saved.", "ok");
    },
  );

  const password = onSubmit(
    h("form", { class: "card", id: "password-form" },
      h("h2", null, "Change password"),
      field("Current password", input("old", { type: "password", autocomplete: "current-password", required: true })),
      field("New password", input("new", { type: "password", autocomplete: "new-password", required: true }), passwordRulesHint(app.client)),
      field("Repeat new password", input("confirm", { type: "password", autocomplete: "new-password", required: true })),
      field("Log out everywhere else (ends other sessions and deletes API keys)", input("revoke_all_access", { type: "checkbox" })),
      h("button", { type: "submit" }, "Change password")),
    async (data) => {
      const next = String(data.get("new"));
      if (next !== String(data.get("confirm"))) {
        const line = password.querySelector('[data-error-for="confirm"]');
        if (line) line.textContent = "The passwords differ.";
        return;
      }
      const revokeAllAccess = data.get("revoke_all_access") === "on";
      await app.client.users.updatePassword({ userIds, old: String(data.get("old")), new: next, revokeAllAccess });
      if (revokeAllAccess) { await app.refreshSession(); return; } // this session may have ended too
      password.reset();
      clearErrors(password);
      flash(password, "Password changed.", "ok");
    },
    { ...PASSWORD_ERRORS, "pkg/identityserver:old_password": "old" },
  );
  // A user linked to a single sign-on provider has no password here: the server refuses to change or reset it.
  const providers = app.session.externalProviders;
  const signIn = providers.length
    ? h("section", { class: "card", id: "external-sign-in", "aria-labelledby": "external-sign-in-title" },
      h("h2", { id: "external-sign-in-title" }, "Password"),
      h("p", null, `You sign in with ${providers.map((p) => p.name).join(" or ")}. Your password is managed there, not here.`))
    : password;
  root.append(profile, signIn);
}

/** Whether the address is confirmed, with a button that sends the confirmation mail again. */
function showEmailStatus(app: Console, slot: HTMLElement, user: User): void {
  if (user.primaryEmailAddressValidatedAt) {
    replace(slot, h("p", { class: "ok", "data-validated": "true" }, `✓ Confirmed on ${formatTime(user.primaryEmailAddressValidatedAt)}.`));
    return;
  }
  const message = h("span", { role: "status" });
  const send = h("button", { type: "button", class: "secondary", onclick: async () => {
    send.disabled = true;
    try {
      const sent = await app.client.emailValidation.requestValidation({ userId: app.userId });
      message.textContent = `Sent to ${sent.address}. The link is valid until ${sent.expiresAt ? timestampDate(sent.expiresAt).toLocaleString() : "it is used"}.`;
    } catch (err) {
      message.textContent = isIdentityError(err) && err.is("pkg/identityserver:validation_request_forbidden")
        ? `A confirmation e-mail was sent recently. You can ask for another one in ${String(err.attributes.retry_interval ?? "a while")}.`
        : describe(err);
    } finally {
      send.disabled = false;
    }
  } }, "Send confirmation e-mail");
  replace(slot, h("p", { class: "notice", "data-validated": "false" },
    "This address is not confirmed yet: open the link in the e-mail we sent you. ", send, " ", message));
}
