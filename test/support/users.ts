// Arranging users and keys through the public API, as a client of the service would.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import type { Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserAccess, UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { UserSchema } from "../../gen/ttn/lorawan/v3/user_pb.js";
import type { Protocol, TestServer } from "./server.js";

export const USER_PASSWORD = "Secret-Passw0rd";

/** Anonymous self-registration (APPROVED under the default configuration). */
export async function registerUser(server: TestServer, userId: string, protocol: Protocol = "connect"): Promise<void> {
  await server.client(UserRegistry, protocol).create({
    user: create(UserSchema, { ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: USER_PASSWORD }),
  });
}

/** A user created by the admin, who chooses state and admin flag. */
export async function adminCreatesUser(
  server: TestServer, userId: string, options: { admin?: boolean; state?: State } = {}, protocol: Protocol = "connect",
): Promise<void> {
  await server.client(UserRegistry, protocol, server.adminKey).create({
    user: create(UserSchema, {
      ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: USER_PASSWORD,
      admin: options.admin ?? false, state: options.state ?? State.APPROVED,
    }),
  });
}

/** A key of `userId` minted with `token` (the user's own key, or the admin's under ADMIN_RIGHTS_ALL); returns the secret token. */
export async function createUserKey(
  server: TestServer, token: string, userId: string, rights: Right[],
  options: { name?: string; expiresAt?: Date; protocol?: Protocol } = {},
): Promise<string> {
  const key = await server.client(UserAccess, options.protocol ?? "connect", token).createAPIKey({
    userIds: { userId }, name: options.name ?? "", rights,
    expiresAt: options.expiresAt ? timestampFromDate(options.expiresAt) : undefined,
  });
  return key.key;
}

/** The ID part of an `NNSXS.<id>.<secret>` token. */
export const keyId = (token: string): string => token.split(".")[1]!;
