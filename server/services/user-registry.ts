// ttn.lorawan.v3.UserRegistry: thin handlers over the user rules and the user store.
import { create, type JsonValue } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { UsersSchema, type User } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { Prisma } from "../../prisma/generated/client.js";
import type { Caller } from "../auth/caller.js";
import { isAdminWith, requireUserRights, rightsOnUser } from "../auth/user-rights.js";
import { describeDuration } from "../domain/durations.js";
import * as errors from "../domain/error-catalog.js";
import { isReservedUserId, isValidEmail } from "../domain/identifiers.js";
import { hashPassword, verifyPassword } from "../domain/password-hash.js";
import { checkPassword } from "../domain/password-policy.js";
import { isEmptyPicture, processPicture, type ProcessedPicture } from "../domain/profile-pictures.js";
import { Right } from "../domain/rights.js";
import { randomKey } from "../domain/tokens.js";
import { ADMIN_ONLY_PATHS, isPublicMask, selects, userReadMask, userUpdateMask } from "../domain/user-paths.js";
import { renderMail } from "../mail/templates.js";
import * as raise from "../notifications/raise.js";
import { page, withUniqueness } from "../store/db.js";
import { isExternalUser } from "../store/external-users.js";
import { acceptInvitation } from "../store/invitations.js";
import { replaceProfilePicture } from "../store/profile-pictures.js";
import { recordStateChange } from "../store/user-state-changes.js";
import * as users from "../store/users.js";
import { requestEmailValidation } from "./email-validation-registry.js";
import { callerOf, callerOrAnonymous, clientAddressOf, logOf, requireAdminWith, setTotalCount, withRequestLog, type ServiceDeps } from "./context.js";
import { date, preferencesToJson, publicOnly, toUserMessage, userMessageOptions, userRowFields } from "./user-messages.js";

/** Default lifetime of a temporary password set by an admin through Update (upstream). */
const ADMIN_TEMPORARY_PASSWORD_TTL_MS = 36 * 3600_000;
/** What Create returns: every field except secrets and the deprecated contact info. */
const EVERY_READABLE_PATH = [
  "admin", "attributes", "console_preferences", "created_at", "deleted_at", "description", "ids", "name",
  "password_updated_at", "primary_email_address", "primary_email_address_validated_at", "profile_picture",
  "require_password_update", "state", "state_description", "temporary_password_created_at",
  "temporary_password_expires_at", "updated_at",
];

function stateError(caller: Caller) {
  const user = caller.user;
  if (!user) return undefined;
  const description = user.stateDescription;
  if (user.state === State.REQUESTED) return errors.userRequested({ description });
  if (user.state === State.REJECTED) return errors.userRejected({ description });
  if (user.state === State.SUSPENDED) return errors.userSuspended({ description });
  return undefined;
}

export function userRegistry(deps: ServiceDeps): ServiceImpl<typeof UserRegistry> {
  const { db, config } = deps;
  const messageOptions = userMessageOptions(config);

  /** The picture to store, or undefined for none; checked before anything is written. */
  function picture(user: User, requestName: string): ProcessedPicture | undefined {
    if (isEmptyPicture(user.profilePicture)) return undefined;
    if (config.profilePicture.disableUpload) throw errors.profilePictureUploadsDisabled();
    return processPicture(user.profilePicture, "user.profile_picture", requestName);
  }

  return {
    async create(req, ctx) {
      const user = req.user!;
      const userId = user.ids!.userId;
      if (isReservedUserId(userId)) throw errors.forbiddenId({ id: userId });
      const caller = await callerOrAnonymous(deps, ctx); // a bad credential only means "not an admin" here
      // Admin bypasses (closed registration, invitations, admin fields) need the admin-field right too.
      const admin = caller ? isAdminWith(caller, Right.USER_SETTINGS_BASIC) : false;
      if (!admin && config.registration.invitationRequired && !req.invitationToken) throw errors.invitationTokenRequired();
      if (!isValidEmail(user.primaryEmailAddress)) throw errors.invalidEmail({ email: user.primaryEmailAddress });
      if (!admin && !config.registration.enabled) throw errors.userRegistrationDisabled();
      checkPassword(user.password, userId, config.passwordRequirements);

      const newPicture = picture(user, "CreateUserRequest");
      // Counted once the request is valid and before the work (hashing) starts, successful or not: failed
      // attempts cost as much as successful ones.
      if (!admin) await deps.limits.signUps.require(clientAddressOf(ctx));

      const now = deps.clock.now();
      const selfRegistered = !admin;
      const approval = config.registration.adminApprovalRequired;
      const data: users.UserWrite = {
        userId,
        name: user.name,
        description: user.description,
        primaryEmailAddress: user.primaryEmailAddress,
        passwordHash: await hashPassword(user.password),
        passwordUpdatedAt: now,
        profilePicture: newPicture?.column,
        consolePreferences: user.consolePreferences ? (preferencesToJson(user.consolePreferences) as Prisma.InputJsonValue) : undefined,
        // Self-registration cannot choose its own privileges.
        admin: selfRegistered ? false : user.admin,
        state: selfRegistered ? (approval ? State.REQUESTED : State.APPROVED) : user.state,
        stateDescription: selfRegistered ? (approval ? "admin approval required" : "") : user.stateDescription,
        primaryEmailAddressValidatedAt: selfRegistered ? null : date(user.primaryEmailAddressValidatedAt),
        requirePasswordUpdate: selfRegistered ? false : user.requirePasswordUpdate,
      };
      if (!selfRegistered && user.temporaryPassword) {
        // Upstream stores an admin-given temporary password unhashed and echoes it; we hash it and never echo.
        data.temporaryPasswordHash = await hashPassword(user.temporaryPassword);
        data.temporaryPasswordCreatedAt = date(user.temporaryPasswordCreatedAt) ?? now;
        data.temporaryPasswordExpiresAt = date(user.temporaryPasswordExpiresAt) ?? new Date(now.getTime() + ADMIN_TEMPORARY_PASSWORD_TTL_MS);
      }

      const row = await withUniqueness(() =>
        db.$transaction(async (tx) => {
          const created = await users.createUser(tx, data, user.attributes);
          if (newPicture?.upload) await replaceProfilePicture(tx, created.id, newPicture.upload);
          if (req.invitationToken) {
            const outcome = await acceptInvitation(tx, req.invitationToken, created.id, now);
            if (outcome === "not_found") throw errors.invitationNotFound();
            if (outcome === "already_used") throw errors.invitationAlreadyUsed();
            if (outcome === "expired") throw errors.invitationExpired();
          }
          await recordStateChange(tx, created.id, { state: created.state, stateDescription: created.stateDescription, changedBy: caller?.user?.userId ?? "", createdAt: now });
          // A new address is proven by the validation mail, sent exactly when the user exists (upstream sends it on every create).
          if (!created.primaryEmailAddressValidatedAt) await requestEmailValidation(withRequestLog(deps, ctx), tx, created);
          return created;
        }),
      );
      logOf(deps, ctx).info({ user_id: userId, self_registered: selfRegistered }, "user created");
      const created = toUserMessage(row, EVERY_READABLE_PATH, messageOptions);
      raise.userRequested(deps, created);
      return created;
    },

    async get(req, ctx) {
      const userId = req.userIds!.userId;
      const paths = userReadMask(req.fieldMask?.paths ?? []);
      const caller = await callerOf(deps, ctx);
      const held = await rightsOnUser(db, caller, userId);
      if (held.has(Right.USER_INFO)) {
        const row = await users.findUser(db, userId);
        if (!row) throw errors.userNotFound({ user_id: userId });
        return toUserMessage(row, paths, messageOptions);
      }
      // Without USER_INFO: public fields only, and only for authenticated, approved (or flagged) callers.
      if (caller.credential.kind === "anonymous") throw errors.unauthenticated();
      const blocked = stateError(caller);
      if (blocked) throw blocked;
      if (!isPublicMask(paths)) {
        throw held.size ? errors.insufficientUserRights({ uid: userId, missing: ["RIGHT_USER_INFO"] }) : errors.noUserRights({ uid: userId });
      }
      const row = await users.findUser(db, userId);
      if (!row) throw errors.userNotFound({ user_id: userId });
      return publicOnly(toUserMessage(row, paths, messageOptions));
    },

    async list(req, ctx) {
      await requireAdminWith(deps, ctx, Right.USER_INFO);
      const paths = userReadMask(req.fieldMask?.paths ?? []);
      const { users: rows, total } = await users.listUsers(db, {
        deleted: req.deleted,
        order: req.order,
        ...page(req.limit, req.page, config.defaultPageLimit),
        fields: userRowFields(paths),
      });
      setTotalCount(ctx, total);
      return create(UsersSchema, { users: rows.map((r) => toUserMessage(r, paths, messageOptions)) });
    },

    async update(req, ctx) {
      const user = req.user!;
      const userId = user.ids!.userId;
      const caller = await callerOf(deps, ctx);
      await requireUserRights(db, caller, userId, [Right.USER_SETTINGS_BASIC]);
      let paths = userUpdateMask(req.fieldMask?.paths ?? []);
      const admin = isAdminWith(caller, Right.USER_SETTINGS_BASIC);

      if (paths.includes("primary_email_address") && !isValidEmail(user.primaryEmailAddress)) {
        throw errors.invalidEmail({ email: user.primaryEmailAddress });
      }
      const adminPath = paths.find((p) => ADMIN_ONLY_PATHS.has(p));
      if (adminPath && !admin) throw errors.updateAdminField({ field: adminPath });
      if (selects(paths, "contact_info")) {
        paths = paths.filter((p) => !p.startsWith("contact_info"));
        ctx.responseHeader.append("warning", "Contact info is deprecated and was not updated; use primary_email_address");
      }

      const now = deps.clock.now();
      const data: Prisma.UserUncheckedUpdateInput = {};
      let attributes: Record<string, string> | undefined;
      const has = (p: string) => paths.includes(p);
      if (has("name")) data.name = user.name;
      if (has("description")) data.description = user.description;
      if (has("attributes")) attributes = user.attributes;
      if (has("primary_email_address")) {
        data.primaryEmailAddress = user.primaryEmailAddress;
        // A changed address is unvalidated again unless an admin changes it.
        if (!admin) data.primaryEmailAddressValidatedAt = null;
      }
      if (has("primary_email_address_validated_at")) data.primaryEmailAddressValidatedAt = date(user.primaryEmailAddressValidatedAt);
      if (has("require_password_update")) data.requirePasswordUpdate = user.requirePasswordUpdate;
      if (has("state")) {
        data.state = user.state;
        data.stateDescription = has("state_description") ? user.stateDescription : "";
      } else if (has("state_description")) data.stateDescription = user.stateDescription;
      if (has("admin")) data.admin = user.admin;
      if (has("temporary_password")) {
        data.temporaryPasswordHash = user.temporaryPassword ? await hashPassword(user.temporaryPassword) : null;
        if (!has("temporary_password_created_at")) data.temporaryPasswordCreatedAt = now;
        if (!has("temporary_password_expires_at")) data.temporaryPasswordExpiresAt = new Date(now.getTime() + ADMIN_TEMPORARY_PASSWORD_TTL_MS);
      }
      if (has("temporary_password_created_at")) data.temporaryPasswordCreatedAt = date(user.temporaryPasswordCreatedAt);
      if (has("temporary_password_expires_at")) data.temporaryPasswordExpiresAt = date(user.temporaryPasswordExpiresAt);
      const pictureChanges = selects(paths, "profile_picture");
      let newPicture: ProcessedPicture | undefined;
      if (pictureChanges) {
        // Any picture sub-path replaces the whole picture; an unset picture removes it.
        paths = [...paths.filter((p) => !p.startsWith("profile_picture")), "profile_picture"];
        newPicture = picture(user, "UpdateUserRequest");
        data.profilePicture = newPicture?.column ?? Prisma.DbNull;
      }

      const row = await withUniqueness(() =>
        db.$transaction(async (tx) => {
          const target = await users.findUser(tx, userId);
          if (!target) throw errors.userNotFound({ user_id: userId });
          // The last admin cannot be demoted. Upstream refuses any write of `admin` then, even `true`;
          // we only refuse the demotion, which is the change that matters.
          if (has("admin") && target.admin && !user.admin && (await users.lockActiveAdmins(tx)) <= 1) throw errors.lastAdmin();
          if (pictureChanges) {
            // The previous upload goes in the same transaction that stops pointing at it; the row lock makes
            // concurrent picture changes take turns, so none leaves an unreferenced upload behind.
            await users.lockUser(tx, target.id);
            await replaceProfilePicture(tx, target.id, newPicture?.upload);
          }
          if (selects(paths, "console_preferences")) data.consolePreferences = mergePreferences(user, paths, target.consolePreferences) as Prisma.InputJsonValue;
          // Suspension and rejection end the user's sessions (upstream only narrows their rights).
          if (has("state") && (user.state === State.SUSPENDED || user.state === State.REJECTED)) await users.deleteUserSessions(tx, target.id);
          const updated = await users.updateUser(tx, target.id, data, attributes);
          if (has("state") || has("state_description")) {
            await recordStateChange(tx, target.id, { state: updated.state, stateDescription: updated.stateDescription, changedBy: caller.user?.userId ?? "", createdAt: now });
          }
          // A changed, unvalidated address gets its validation mail (upstream); one still fresh for it is kept.
          if (has("primary_email_address") && !updated.primaryEmailAddressValidatedAt) {
            await requestEmailValidation(withRequestLog(deps, ctx), tx, updated).catch((err: unknown) => {
              if (!errors.validationRequestForbidden.is(err)) throw err;
            });
          }
          return updated;
        }),
      );
      raise.entityStateChanged(deps, ctx, userId, paths, row);
      // The response holds the updated fields, never the (hashed) temporary password.
      return toUserMessage(row, userReadMask(paths.filter((p) => p !== "temporary_password")), messageOptions);
    },

    async createTemporaryPassword(req, ctx) {
      const userId = req.userIds!.userId;
      const secret = randomKey();
      const hash = await hashPassword(secret);
      const now = deps.clock.now();
      const target = await users.findUserSecrets(db, userId);
      if (!target) throw errors.userNotFound({ user_id: userId });
      if (await isExternalUser(db, target.id)) throw errors.externalUser(); // they sign in at their provider
      const link = `${config.publicUrl}/oauth/update-password?user=${encodeURIComponent(userId)}&current=${encodeURIComponent(secret)}`;
      await db.$transaction(async (tx) => {
        // One conditional write: a still-valid temporary password cannot be replaced, even by parallel requests.
        const set = await users.setTemporaryPassword(tx, target.id, {
          hash, createdAt: now, expiresAt: new Date(now.getTime() + config.temporaryPasswordTtlMs),
        }, { keepValid: true });
        if (!set) throw errors.temporaryPasswordStillValid();
        // In the same transaction: a password nobody receives would block a new one for its whole lifetime.
        await deps.mail.enqueue("temporary_password", renderMail("temporary_password", target.primaryEmailAddress, {
          greeting: target.name || userId, user_id: userId, temporary_password: secret,
          ttl: describeDuration(config.temporaryPasswordTtlMs), link,
        }), tx);
      });
      logOf(deps, ctx).info({ user_id: userId }, "temporary password created"); // never the password itself
      return create(EmptySchema);
    },

    async updatePassword(req, ctx) {
      const userId = req.userIds!.userId;
      checkPassword(req.new, userId, config.passwordRequirements);
      if (req.old === req.new) throw errors.passwordEqualsOld();
      const target = await users.findUserSecrets(db, userId);
      if (!target) throw errors.userNotFound({ user_id: userId });

      // Verify outside the transaction: hashing takes tens of milliseconds and must not hold a connection.
      // Guesses here count against the same limits as logins (per user and address, user, address).
      let usedTemporary = false;
      const verified = await deps.limits.passwordAttempts.check({ userId, address: clientAddressOf(ctx) }, async () => {
        if (await verifyPassword(target.passwordHash, req.old)) return true;
        usedTemporary = Boolean(target.temporaryPasswordHash && (await verifyPassword(target.temporaryPasswordHash, req.old)));
        return usedTemporary;
      });
      if (!verified) {
        logOf(deps, ctx).info({ user_id: userId }, "incorrect password on password change");
        throw errors.oldPassword();
      }
      if (usedTemporary && (!target.temporaryPasswordExpiresAt || target.temporaryPasswordExpiresAt <= deps.clock.now())) {
        throw errors.temporaryPasswordExpired();
      }
      // After the password check, so only the account holder learns the account is linked.
      if (await isExternalUser(db, target.id)) throw errors.externalUser();
      const newHash = await hashPassword(req.new);
      const caller = await callerOrAnonymous(deps, ctx);
      const currentSession = caller?.credential.kind === "session" && caller.credential.user.id === target.id ? caller.credential.session.id : undefined;
      const now = deps.clock.now();
      await db.$transaction(async (tx) => {
        // Conditional on the hashes we verified against, so a concurrent change cannot be overwritten blindly.
        const changed = await users.replacePassword(tx, target.id, target, { passwordHash: newHash, at: now, clearTemporary: usedTemporary });
        if (!changed) throw errors.oldPassword();
        // Every password change ends the other sessions; revoke_all_access ends the current one too.
        await users.deleteUserSessions(tx, target.id, req.revokeAllAccess ? undefined : currentSession);
      });
      logOf(deps, ctx).info({ user_id: userId, revoke_all_access: req.revokeAllAccess }, "password changed");
      raise.passwordChanged(deps, userId);
      return create(EmptySchema);
    },

    async delete(req, ctx) {
      const userId = req.userId;
      await requireUserRights(db, await callerOf(deps, ctx), userId, [Right.USER_DELETE]);
      await db.$transaction(async (tx) => {
        const target = await users.findUser(tx, userId);
        if (!target) throw errors.userNotFound({ user_id: userId });
        if (target.admin && (await users.lockActiveAdmins(tx)) <= 1) throw errors.lastAdmin();
        // A parallel delete that got there first makes this one a not-found, as if it had come later.
        if (!(await users.softDeleteUser(tx, target.id, deps.clock.now()))) throw errors.userNotFound({ user_id: userId });
        await users.deleteUserSessions(tx, target.id);
      });
      logOf(deps, ctx).info({ user_id: userId }, "user deleted");
      return create(EmptySchema);
    },

    async restore(req, ctx) {
      const userId = req.userId;
      await requireUserRights(db, await callerOf(deps, ctx), userId, [Right.USER_DELETE], "any");
      await withUniqueness(() =>
        db.$transaction(async (tx) => {
          const target = await users.findUser(tx, userId, "deleted");
          if (!target) throw errors.userNotFound({ user_id: userId });
          const deletedSince = new Date(deps.clock.now().getTime() - config.restoreWindowMs);
          if (target.deletedAt! < deletedSince) throw errors.restoreWindowExpired();
          // Conditional, so of parallel restores exactly one succeeds; the others find the user active.
          if (!(await users.restoreUser(tx, target.id, deletedSince))) throw errors.userNotFound({ user_id: userId });
        }),
      );
      logOf(deps, ctx).info({ user_id: userId }, "user restored");
      return create(EmptySchema);
    },

    async purge(req, ctx) {
      const userId = req.userId;
      await requireAdminWith(deps, ctx, Right.USER_DELETE, () => errors.adminsPurgeUsers());
      const target = await users.findUser(db, userId, "any");
      if (!target) throw errors.userNotFound({ user_id: userId });
      if (!(await users.purgeUser(db, target.id))) throw errors.userNotFound({ user_id: userId });
      logOf(deps, ctx).info({ user_id: userId }, "user purged");
      return create(EmptySchema);
    },
  };
}

/**
 * console_preferences: the whole message, or its second-level fields one by one (deeper paths are accepted
 * and ignored, as upstream).
 */
function mergePreferences(user: User, paths: readonly string[], stored?: unknown): JsonValue {
  const given = (user.consolePreferences ? preferencesToJson(user.consolePreferences) : {}) as Record<string, JsonValue>;
  if (paths.includes("console_preferences")) return given;
  const merged = { ...((stored ?? {}) as Record<string, JsonValue>) };
  for (const [path, key] of [
    ["console_preferences.console_theme", "consoleTheme"],
    ["console_preferences.dashboard_layouts", "dashboardLayouts"],
    ["console_preferences.sort_by", "sortBy"],
  ] as const) {
    if (!paths.includes(path)) continue;
    if (key in given) merged[key] = given[key]!;
    else delete merged[key];
  }
  return merged;
}

