// Who a checked provider identity signs in as: the user linked to (provider, subject); else, with a verified
// e-mail address, an existing account once its password is proven (a pending link), or a new account when the
// provider allows registrations. Registration follows the rules of self-registration (admin approval).
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import * as errors from "../domain/error-catalog.js";
import { hashPassword } from "../domain/password-hash.js";
import { digestSecret, randomKey } from "../domain/tokens.js";
import * as raise from "../notifications/raise.js";
import type { ServiceDeps } from "../services/context.js";
import { toUserMessage, userMessageOptions } from "../services/user-messages.js";
import { isUniqueViolation } from "../store/db.js";
import { createExternalUser, findLinkedUser } from "../store/external-users.js";
import { createPendingLink, findUserByEmail, refreshProfile, takenUserIds } from "../store/sso.js";
import { createUser } from "../store/users.js";
import type { ProviderIdentity } from "./oidc-client.js";
import { userIdCandidates } from "./user-ids.js";

/** How long the browser has to prove the password of the account its identity's e-mail address belongs to. */
const PENDING_LINK_TTL_MS = 15 * 60_000;

export interface SignInProvider {
  internalId: string;
  providerId: string;
  allowRegistrations: boolean;
}

export type SignInOutcome =
  | { kind: "user"; user: { id: string; userId: string; state: number; stateDescription: string }; registered: boolean }
  | { kind: "pending-link"; cookieValue: string };

/** What the user record shows once created or refreshed from the provider's claims. */
const displayName = (identity: ProviderIdentity) => identity.name || [identity.givenName, identity.familyName].filter(Boolean).join(" ");

export async function signIn(deps: ServiceDeps, provider: SignInProvider, identity: ProviderIdentity): Promise<SignInOutcome> {
  const { db } = deps;
  const linked = await findLinkedUser(db, provider.internalId, identity.subject);
  if (linked) {
    if (linked.deletedAt) throw errors.userNotFound({ user_id: linked.userId });
    // The provider is the source of truth for the name and (verified) e-mail address of its users.
    await refreshProfile(db, linked.id, {
      name: displayName(identity) || undefined,
      email: identity.email && identity.emailVerified ? identity.email : undefined,
      now: deps.clock.now(),
    });
    return { kind: "user", user: linked, registered: false };
  }

  if (!identity.email) throw errors.ssoMissingEmail();
  if (!identity.emailVerified) throw errors.ssoUnverifiedEmail({ email: identity.email });
  const existing = await findUserByEmail(db, identity.email);
  if (existing) {
    // Never linked silently: whoever controls the provider account must also know the local password.
    if (existing.passwordUnusable) throw errors.ssoAccountExists({ email: identity.email });
    const secret = randomKey();
    const now = deps.clock.now();
    const id = await createPendingLink(db, {
      secretHash: digestSecret(secret), providerId: provider.internalId, externalId: identity.subject, userId: existing.id,
      createdAt: now, expiresAt: new Date(now.getTime() + PENDING_LINK_TTL_MS),
    });
    deps.logger.info({ provider_id: provider.providerId, user_id: existing.userId }, "single sign-on waits for the account password");
    return { kind: "pending-link", cookieValue: `${id}.${secret}` };
  }

  if (!provider.allowRegistrations) throw errors.ssoRegistrationsDisabled({ provider_id: provider.providerId });
  const user = await register(deps, provider, identity);
  return { kind: "user", user, registered: true };
}

/** Creates the user and its link in one transaction, under the first free candidate ID. */
async function register(deps: ServiceDeps, provider: SignInProvider, identity: ProviderIdentity) {
  const { db, config } = deps;
  const candidates = userIdCandidates(identity, provider.providerId);
  const taken = await takenUserIds(db, candidates);
  const free = candidates.filter((id) => !taken.has(id));
  // Nobody knows this password: the user signs in through the provider (and cannot lose the last link).
  const passwordHash = await hashPassword(randomKey());
  const approval = config.registration.adminApprovalRequired;
  // A registration racing this one may take an ID between the check and the insert: try the next one.
  for (const userId of free.slice(0, 3)) {
    const now = deps.clock.now();
    try {
      const row = await db.$transaction(async (tx) => {
        const created = await createUser(tx, {
          userId,
          name: displayName(identity),
          primaryEmailAddress: identity.email,
          primaryEmailAddressValidatedAt: now,
          passwordHash,
          passwordUpdatedAt: now,
          passwordUnusable: true,
          admin: false,
          state: approval ? State.REQUESTED : State.APPROVED,
          stateDescription: approval ? "admin approval required" : "",
        }, {});
        await createExternalUser(tx, { userId: created.id, providerId: provider.internalId, externalId: identity.subject });
        return created;
      });
      deps.logger.info({ user_id: userId, provider_id: provider.providerId }, "user registered through single sign-on");
      raise.userRequested(deps, toUserMessage(row, REQUESTED_PATHS, userMessageOptions(config)));
      return row;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // The e-mail address was taken meanwhile: that is not a matter of the ID.
      if (await findUserByEmail(db, identity.email)) throw errors.alreadyExists();
    }
  }
  throw errors.ssoNoUsernameAvailable();
}

/** What admins see of a registration waiting for their approval. */
const REQUESTED_PATHS = ["ids", "created_at", "updated_at", "name", "primary_email_address", "primary_email_address_validated_at", "state", "state_description", "admin"];
