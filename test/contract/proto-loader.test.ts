// The contract must load in the two stacks our clients use: protobufjs-based
// @grpc/proto-loader (what grpc-js clients of upstream use) reading the .proto
// sources, and the protobuf-es descriptors generated into gen/.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadSync } from "@grpc/proto-loader";
import type { DescService } from "@bufbuild/protobuf";
import { UserAccess, UserInvitationRegistry, UserRegistry, UserSessionRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { EntityAccess } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { EntityRegistrySearch } from "../../gen/ttn/lorawan/v3/search_services_pb.js";
import { NotificationService } from "../../gen/ttn/lorawan/v3/notification_service_pb.js";
import { ExternalUserRegistry } from "../../gen/tti/lorawan/v3/external_user_pb.js";
import { AuthenticationProviderRegistry } from "../../gen/tti/lorawan/v3/authentication_provider_pb.js";

const protoRoot = fileURLToPath(new URL("../../proto", import.meta.url));
const thirdParty = fileURLToPath(new URL("../../proto/third_party", import.meta.url));

// Full gRPC method paths, request and response types, as upstream v3.32.1 serves them.
const expected: Record<string, Record<string, [string, string]>> = {
  "ttn.lorawan.v3.UserRegistry": {
    Create: ["ttn.lorawan.v3.CreateUserRequest", "ttn.lorawan.v3.User"],
    Get: ["ttn.lorawan.v3.GetUserRequest", "ttn.lorawan.v3.User"],
    List: ["ttn.lorawan.v3.ListUsersRequest", "ttn.lorawan.v3.Users"],
    Update: ["ttn.lorawan.v3.UpdateUserRequest", "ttn.lorawan.v3.User"],
    CreateTemporaryPassword: ["ttn.lorawan.v3.CreateTemporaryPasswordRequest", "google.protobuf.Empty"],
    UpdatePassword: ["ttn.lorawan.v3.UpdateUserPasswordRequest", "google.protobuf.Empty"],
    Delete: ["ttn.lorawan.v3.UserIdentifiers", "google.protobuf.Empty"],
    Restore: ["ttn.lorawan.v3.UserIdentifiers", "google.protobuf.Empty"],
    Purge: ["ttn.lorawan.v3.UserIdentifiers", "google.protobuf.Empty"],
  },
  "ttn.lorawan.v3.UserAccess": {
    ListRights: ["ttn.lorawan.v3.UserIdentifiers", "ttn.lorawan.v3.Rights"],
    CreateAPIKey: ["ttn.lorawan.v3.CreateUserAPIKeyRequest", "ttn.lorawan.v3.APIKey"],
    ListAPIKeys: ["ttn.lorawan.v3.ListUserAPIKeysRequest", "ttn.lorawan.v3.APIKeys"],
    GetAPIKey: ["ttn.lorawan.v3.GetUserAPIKeyRequest", "ttn.lorawan.v3.APIKey"],
    UpdateAPIKey: ["ttn.lorawan.v3.UpdateUserAPIKeyRequest", "ttn.lorawan.v3.APIKey"],
    DeleteAPIKey: ["ttn.lorawan.v3.DeleteUserAPIKeyRequest", "google.protobuf.Empty"],
    CreateLoginToken: ["ttn.lorawan.v3.CreateLoginTokenRequest", "ttn.lorawan.v3.CreateLoginTokenResponse"],
  },
  "ttn.lorawan.v3.UserInvitationRegistry": {
    Send: ["ttn.lorawan.v3.SendInvitationRequest", "ttn.lorawan.v3.Invitation"],
    List: ["ttn.lorawan.v3.ListInvitationsRequest", "ttn.lorawan.v3.Invitations"],
    Delete: ["ttn.lorawan.v3.DeleteInvitationRequest", "google.protobuf.Empty"],
  },
  "ttn.lorawan.v3.UserSessionRegistry": {
    List: ["ttn.lorawan.v3.ListUserSessionsRequest", "ttn.lorawan.v3.UserSessions"],
    Delete: ["ttn.lorawan.v3.UserSessionIdentifiers", "google.protobuf.Empty"],
  },
  "ttn.lorawan.v3.EntityAccess": {
    AuthInfo: ["google.protobuf.Empty", "ttn.lorawan.v3.AuthInfoResponse"],
  },
  "ttn.lorawan.v3.EntityRegistrySearch": {
    SearchUsers: ["ttn.lorawan.v3.SearchUsersRequest", "ttn.lorawan.v3.Users"],
  },
  "ttn.lorawan.v3.NotificationService": {
    Create: ["ttn.lorawan.v3.CreateNotificationRequest", "ttn.lorawan.v3.CreateNotificationResponse"],
    List: ["ttn.lorawan.v3.ListNotificationsRequest", "ttn.lorawan.v3.ListNotificationsResponse"],
    UpdateStatus: ["ttn.lorawan.v3.UpdateNotificationStatusRequest", "google.protobuf.Empty"],
  },
  "tti.lorawan.v3.ExternalUserRegistry": {
    Create: ["tti.lorawan.v3.CreateExternalUserRequest", "tti.lorawan.v3.ExternalUser"],
    GetByUserID: ["tti.lorawan.v3.GetExternalUserByUserIDRequest", "tti.lorawan.v3.ExternalUser"],
    GetByExternalID: ["tti.lorawan.v3.GetExternalUserByExternalIDRequest", "tti.lorawan.v3.ExternalUser"],
    Delete: ["tti.lorawan.v3.DeleteExternalUserRequest", "google.protobuf.Empty"],
  },
  "tti.lorawan.v3.AuthenticationProviderRegistry": {
    Create: ["tti.lorawan.v3.CreateAuthenticationProviderRequest", "tti.lorawan.v3.AuthenticationProvider"],
    Get: ["tti.lorawan.v3.GetAuthenticationProviderRequest", "tti.lorawan.v3.AuthenticationProvider"],
    List: ["tti.lorawan.v3.ListAuthenticationProvidersRequest", "tti.lorawan.v3.AuthenticationProviders"],
    Update: ["tti.lorawan.v3.UpdateAuthenticationProviderRequest", "tti.lorawan.v3.AuthenticationProvider"],
    Delete: ["tti.lorawan.v3.AuthenticationProviderIdentifiers", "google.protobuf.Empty"],
  },
};

function methodPaths(services: Record<string, Record<string, [string, string]>>): string[] {
  return Object.entries(services)
    .flatMap(([service, methods]) => Object.keys(methods).map((m) => `/${service}/${m}`))
    .sort();
}

describe("contract loaded from .proto sources by @grpc/proto-loader", () => {
  const definition = loadSync(
    [
      "ttn/lorawan/v3/user_services.proto",
      "ttn/lorawan/v3/identityserver.proto",
      "ttn/lorawan/v3/search_services.proto",
      "ttn/lorawan/v3/notification_service.proto",
      "tti/lorawan/v3/external_user.proto",
      "tti/lorawan/v3/authentication_provider.proto",
    ],
    { includeDirs: [protoRoot, thirdParty], keepCase: true, defaults: true, oneofs: true },
  );

  it("exposes every service with upstream's method paths and message types", () => {
    const seen: Record<string, Record<string, [string, string]>> = {};
    for (const serviceName of Object.keys(expected)) {
      const service = definition[serviceName] as Record<string, {
        path: string;
        requestType: { type: { name: string } };
        responseType: { type: { name: string } };
        requestStream: boolean;
        responseStream: boolean;
      }>;
      expect(service, serviceName).toBeDefined();
      seen[serviceName] = {};
      for (const [method, def] of Object.entries(service)) {
        expect(def.path).toBe(`/${serviceName}/${method}`);
        expect(def.requestStream || def.responseStream).toBe(false);
        const pkgOf = (t: { name: string }) => {
          // proto-loader keeps only the short name; find the fully-qualified one.
          const hits = Object.keys(definition).filter((k) => k.endsWith(`.${t.name}`));
          return hits.length === 1 ? hits[0]! : hits.find((h) => h.startsWith(serviceName.split(".").slice(0, 3).join("."))) ?? hits[0]!;
        };
        seen[serviceName][method] = [pkgOf(def.requestType.type), pkgOf(def.responseType.type)];
      }
    }
    expect(methodPaths(seen)).toEqual(methodPaths(expected));
    expect(seen).toEqual(expected);
    expect(methodPaths(seen)).toContain("/ttn.lorawan.v3.UserRegistry/Create");
  });

  it("keeps upstream field numbers on key messages", () => {
    const user = definition["ttn.lorawan.v3.User"] as { type: { field: { name: string; number: number }[] } };
    const numbers = Object.fromEntries(user.type.field.map((f) => [f.name, f.number]));
    expect(numbers).toMatchObject({ ids: 1, deleted_at: 19, state_description: 20, console_preferences: 25 });
    const auth = definition["ttn.lorawan.v3.AuthInfoResponse"] as { type: { field: { name: string; number: number }[] } };
    expect(Object.fromEntries(auth.type.field.map((f) => [f.name, f.number]))).toEqual({
      api_key: 1,
      oauth_access_token: 2,
      user_session: 5,
      gateway_token: 6,
      universal_rights: 3,
      is_admin: 4,
    });
  });
});

describe("contract in the generated protobuf-es descriptors (gen/)", () => {
  const services: DescService[] = [
    UserRegistry,
    UserAccess,
    UserInvitationRegistry,
    UserSessionRegistry,
    EntityAccess,
    EntityRegistrySearch,
    NotificationService,
    ExternalUserRegistry,
    AuthenticationProviderRegistry,
  ];

  it("exposes the same services, methods and message types", () => {
    const seen: Record<string, Record<string, [string, string]>> = {};
    for (const service of services) {
      seen[service.typeName] = {};
      for (const method of service.methods) {
        expect(method.methodKind).toBe("unary");
        seen[service.typeName]![method.name] = [method.input.typeName, method.output.typeName];
      }
    }
    expect(seen).toEqual(expected);
  });
});
