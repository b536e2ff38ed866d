// ttn.lorawan.v3.EmailValidationRegistry (upstream pkg/identityserver/email_validation_registry.go): a mail with
// a reference and a token proves that a user owns the primary e-mail address; Validate records the proof in
// `primary_email_address_validated_at`. Sign-up and a changed address request a validation mail too.
import { create } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { EmailValidationRegistry, EmailValidationSchema, type EmailValidation } from "../../gen/ttn/lorawan/v3/email_validation_pb.js";
import { requireUserRights } from "../auth/user-rights.js";
import { describeDuration } from "../domain/durations.js";
import * as errors from "../domain/error-catalog.js";
import { Right } from "../domain/rights.js";
import { digestSecret, randomKey, secretMatches } from "../domain/tokens.js";
import { renderMail } from "../mail/templates.js";
import type { Db } from "../store/db.js";
import * as validations from "../store/email-validations.js";
import * as users from "../store/users.js";
import { callerOf, logOf, withRequestLog, type ServiceDeps } from "./context.js";
import { ts } from "./user-messages.js";

/** What a validation mail needs to know of its user. */
export interface ValidatedUser {
  id: string;
  userId: string;
  name: string;
  primaryEmailAddress: string;
}

/**
 * Opens (or refreshes) the validation of the user's current primary address and queues its mail, in `tx`: the
 * mail goes out exactly when the validation exists. A refresh within the retry interval is refused, as upstream.
 */
export async function requestEmailValidation(deps: ServiceDeps, tx: Db, user: ValidatedUser): Promise<EmailValidation> {
  const { config } = deps;
  const now = deps.clock.now();
  const token = randomKey();
  const expiresAt = new Date(now.getTime() + config.emailValidation.tokenTtlMs);
  await users.lockUser(tx, user.id); // parallel requests take turns, so one validation stays open
  const open = await validations.findOpenValidation(tx, user.id);
  let row: validations.EmailValidationRow;
  if (open && open.emailAddress.toLowerCase() === user.primaryEmailAddress.toLowerCase()) {
    if (open.updatedAt.getTime() > now.getTime() - config.emailValidation.retryIntervalMs) {
      throw errors.validationRequestForbidden({ retry_interval: describeDuration(config.emailValidation.retryIntervalMs) });
    }
    row = await validations.refreshValidation(tx, open.id, digestSecret(token), expiresAt, now);
  } else {
    if (open) await validations.closeOpenValidations(tx, user.id, now); // for an address that is no longer theirs
    row = await validations.createValidation(tx, {
      reference: randomKey().slice(0, 26).toLowerCase(), tokenHash: digestSecret(token), userId: user.id,
      emailAddress: user.primaryEmailAddress, expiresAt, createdAt: now, updatedAt: now,
    });
  }
  const query = `reference=${encodeURIComponent(row.reference)}&token=${encodeURIComponent(token)}`;
  await deps.mail.enqueue("validate", renderMail("validate", row.emailAddress, {
    public_url: config.publicUrl,
    greeting: user.name || user.userId,
    user_id: user.userId,
    link: `${config.publicUrl}/oauth/validate?${query}`,
    reference: row.reference,
    token,
    ttl: describeDuration(config.emailValidation.tokenTtlMs),
  }), tx);
  deps.logger.info({ user_id: user.userId, validation_id: row.reference }, "e-mail validation requested"); // never the token
  // The token travels only by mail, as upstream unsets it before answering.
  return create(EmailValidationSchema, {
    id: row.reference, address: row.emailAddress, createdAt: ts(row.createdAt), expiresAt: ts(row.expiresAt), updatedAt: ts(row.updatedAt),
  });
}

export function emailValidationRegistry(deps: ServiceDeps): ServiceImpl<typeof EmailValidationRegistry> {
  const { db } = deps;
  return {
    async requestValidation(req, ctx) {
      await requireUserRights(db, await callerOf(deps, ctx), req.userId, [Right.USER_SETTINGS_BASIC]);
      return db.$transaction(async (tx) => {
        const user = await users.findUser(tx, req.userId);
        if (!user) throw errors.userNotFound({ user_id: req.userId });
        return requestEmailValidation(withRequestLog(deps, ctx), tx, user);
      });
    },

    // Public, as upstream: the reference and token are the credential.
    async validate(req, ctx) {
      const now = deps.clock.now();
      const attributes = { validation_id: req.id };
      const row = await validations.findValidationByReference(db, req.id);
      if (!row || !secretMatches(row.tokenHash, req.token)) throw errors.validationTokenNotFound(attributes);
      if (row.used) throw errors.validationTokenAlreadyUsed(attributes);
      if (row.expiresAt <= now) throw errors.validationTokenExpired(attributes);
      const outcome = await db.$transaction((tx) => validations.useValidation(tx, row, now));
      if (outcome === "already_used") throw errors.validationTokenAlreadyUsed(attributes);
      // The user changed the address since the mail was sent (or is gone): this token proves nothing any more.
      if (outcome === "address_changed") throw errors.validationTokenNotFound(attributes);
      logOf(deps, ctx).info({ validation_id: req.id }, "e-mail address validated");
      return create(EmptySchema);
    },
  };
}
