import type { ConnectRouter } from "@connectrpc/connect";
import { AuthenticationProviderRegistry } from "../../gen/tti/lorawan/v3/authentication_provider_pb.js";
import { ExternalUserRegistry } from "../../gen/tti/lorawan/v3/external_user_pb.js";
import { EmailValidationRegistry } from "../../gen/ttn/lorawan/v3/email_validation_pb.js";
import { EntityAccess, Is } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { NotificationService } from "../../gen/ttn/lorawan/v3/notification_service_pb.js";
import { EntityRegistrySearch } from "../../gen/ttn/lorawan/v3/search_services_pb.js";
import { UserAccess, UserInvitationRegistry, UserRegistry, UserSessionRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import * as errors from "../domain/error-catalog.js";
import { userReadMask, userUpdateMask } from "../domain/user-paths.js";
import { before, maskedBy, type MaskedValidation, type PreValidation } from "../transport/validation.js";
import { authenticationProviderRegistry, providerReadMask, providerUpdateMask } from "./authentication-provider-registry.js";
import type { ServiceDeps } from "./context.js";
import { emailValidationRegistry } from "./email-validation-registry.js";
import { entityAccess } from "./entity-access.js";
import { entityRegistrySearch } from "./entity-registry-search.js";
import { externalUserRegistry } from "./external-user-registry.js";
import { identityServer } from "./identity-server.js";
import { notificationService } from "./notification-service.js";
import { API_KEY_PATHS, userAccess } from "./user-access.js";
import { userInvitationRegistry } from "./user-invitation-registry.js";
import { userRegistry } from "./user-registry.js";
import { userSessionRegistry } from "./user-session-registry.js";

export function registerServices(router: ConnectRouter, deps: ServiceDeps): void {
  router.service(UserRegistry, userRegistry(deps));
  router.service(UserAccess, userAccess(deps));
  router.service(EntityAccess, entityAccess(deps));
  router.service(UserSessionRegistry, userSessionRegistry(deps));
  router.service(NotificationService, notificationService(deps));
  router.service(UserInvitationRegistry, userInvitationRegistry(deps));
  router.service(EntityRegistrySearch, entityRegistrySearch(deps));
  router.service(AuthenticationProviderRegistry, authenticationProviderRegistry(deps));
  router.service(ExternalUserRegistry, externalUserRegistry(deps));
  router.service(Is, identityServer(deps));
  router.service(EmailValidationRegistry, emailValidationRegistry(deps));
}

type Masked = { fieldMask?: { paths: string[] } };
const readMask = (m: Masked) => void userReadMask(m.fieldMask?.paths ?? []);
const providerMask = (m: Masked) => void providerReadMask(m.fieldMask?.paths ?? []);
const apiKeyMask = (m: Masked) => {
  const bad = (m.fieldMask?.paths ?? []).filter((p) => !API_KEY_PATHS.includes(p));
  if (bad.length) throw errors.fieldMaskPaths.of(bad);
};

/**
 * Field-mask path checks run before the field rules, and Update validates only what its mask names. Keyed by
 * the methods' descriptors: a rule for a method that does not exist does not compile.
 */
export const validationRules: { before: PreValidation; masked: Record<string, MaskedValidation> } = {
  before: Object.fromEntries([
    before(UserRegistry.method.get, readMask),
    before(UserRegistry.method.list, readMask),
    before(UserRegistry.method.update, (m) => void userUpdateMask(m.fieldMask?.paths ?? [])),
    before(EntityRegistrySearch.method.searchUsers, readMask),
    before(UserAccess.method.updateAPIKey, apiKeyMask),
    before(AuthenticationProviderRegistry.method.get, providerMask),
    before(AuthenticationProviderRegistry.method.list, providerMask),
    before(AuthenticationProviderRegistry.method.update, (m) => void providerUpdateMask(m.fieldMask?.paths ?? [])),
  ]),
  masked: Object.fromEntries([
    maskedBy(UserRegistry.method.update, { target: "user", mask: "fieldMask", always: ["ids"] }),
    maskedBy(AuthenticationProviderRegistry.method.update, { target: "authenticationProvider", mask: "fieldMask", always: ["ids"] }),
  ]),
};
