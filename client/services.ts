// Every service of the identity server, by the name the SDK gives its client.
import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { AuthenticationProviderRegistry } from "../gen/tti/lorawan/v3/authentication_provider_pb.js";
import { ExternalUserRegistry } from "../gen/tti/lorawan/v3/external_user_pb.js";
import { EmailValidationRegistry } from "../gen/ttn/lorawan/v3/email_validation_pb.js";
import { EntityAccess, Is } from "../gen/ttn/lorawan/v3/identityserver_pb.js";
import { NotificationService } from "../gen/ttn/lorawan/v3/notification_service_pb.js";
import { EntityRegistrySearch } from "../gen/ttn/lorawan/v3/search_services_pb.js";
import { UserAccess, UserInvitationRegistry, UserRegistry, UserSessionRegistry } from "../gen/ttn/lorawan/v3/user_services_pb.js";
import { IdentityError } from "./errors.js";

export const SERVICES = {
  users: UserRegistry,
  access: UserAccess,
  invitations: UserInvitationRegistry,
  sessions: UserSessionRegistry,
  search: EntityRegistrySearch,
  notifications: NotificationService,
  entityAccess: EntityAccess,
  externalUsers: ExternalUserRegistry,
  authProviders: AuthenticationProviderRegistry,
  identityServer: Is,
  emailValidation: EmailValidationRegistry,
} as const;

export type IdentityClient = { readonly [K in keyof typeof SERVICES]: Client<(typeof SERVICES)[K]> } & {
  /** The transport every client shares, for services or call options the SDK does not wrap. */
  readonly transport: Transport;
};

/** Typed clients for every service over one transport; every call rejects with an IdentityError. */
export function clientsFor(transport: Transport): IdentityClient {
  const clients = Object.fromEntries(Object.entries(SERVICES).map(([key, service]) => [key, identityClient(service, transport)]));
  return Object.freeze({ ...clients, transport }) as IdentityClient;
}

/**
 * A typed client of one service whose calls reject with IdentityError. The conversion wraps the methods: an
 * interceptor cannot do it, because Connect's transports turn whatever an interceptor throws back into a ConnectError.
 */
export function identityClient<S extends DescService>(service: S, transport: Transport): Client<S> {
  const client = createClient(service, transport) as Record<string, (...args: unknown[]) => unknown>;
  const wrapped: Record<string, unknown> = {};
  for (const method of service.methods) {
    const call = client[method.localName]!;
    wrapped[method.localName] = method.methodKind === "unary"
      ? async (...args: unknown[]) => {
        try {
          return await call(...args);
        } catch (err) {
          throw IdentityError.from(err);
        }
      }
      : call;
  }
  return Object.freeze(wrapped) as Client<S>;
}
