import { create } from "@bufbuild/protobuf";
import { APIKeySchema, type APIKey } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import type { ApiKeyRow } from "../store/api-keys.js";
import { ts } from "./user-messages.js";

/** An API key as clients see it: `key` (the secret) stays empty except in the CreateAPIKey response. */
export function apiKeyMessage(row: ApiKeyRow, secretToken = ""): APIKey {
  return create(APIKeySchema, {
    id: row.id,
    key: secretToken,
    name: row.name,
    rights: row.rights,
    createdAt: ts(row.createdAt),
    updatedAt: ts(row.updatedAt),
    expiresAt: ts(row.expiresAt),
  });
}
