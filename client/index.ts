// The SDK for browsers and bundlers: typed clients for every service over Connect or gRPC-Web (fetch-based),
// API-key and session-cookie authentication, typed errors and list totals. Node adds gRPC: see node.ts.
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { anyTypes } from "./any-types.js";
import { bearerAuth, fetchWithCredentials } from "./auth.js";
import { clientsFor, type IdentityClient } from "./services.js";

export type Protocol = "connect" | "grpc-web";

export interface IdentityClientOptions {
  /** The server's URL, e.g. `https://id.example.com`; "" or a path means the page's own origin. */
  baseUrl: string;
  /** Default "connect". */
  protocol?: Protocol;
  /** An API key (or session bearer token) sent as `Authorization: Bearer …`. */
  apiKey?: string;
  /** "include" sends the browser session cookie (set by the account endpoints' login). */
  credentials?: RequestCredentials;
  /** Connect only: binary protobuf instead of JSON (default JSON, readable in the browser's network tab). */
  useBinaryFormat?: boolean;
  /** Run after authentication. */
  interceptors?: Interceptor[];
  fetch?: typeof globalThis.fetch;
}

/** The interceptors every SDK transport uses: authentication, then the caller's. */
export function sdkInterceptors(options: { apiKey?: string; interceptors?: Interceptor[] }): Interceptor[] {
  return [...(options.apiKey ? [bearerAuth(options.apiKey)] : []), ...(options.interceptors ?? [])];
}

export function createIdentityTransport(options: IdentityClientOptions): Transport {
  const fetch = options.credentials ? fetchWithCredentials(options.credentials, options.fetch) : options.fetch;
  const common = { baseUrl: options.baseUrl, interceptors: sdkInterceptors(options), ...(fetch ? { fetch } : {}) };
  const protocol = options.protocol ?? "connect";
  switch (protocol) {
    case "connect":
      return createConnectTransport({ ...common, useBinaryFormat: options.useBinaryFormat ?? false, jsonOptions: { registry: anyTypes } });
    case "grpc-web":
      return createGrpcWebTransport({ ...common, useBinaryFormat: true });
    default:
      throw new Error(`unsupported protocol ${String(protocol)} in the browser SDK (gRPC needs "@ttn-identity/client" under Node)`);
  }
}

/** Typed clients for every service: `createIdentityClient({ baseUrl, apiKey }).users.get({ … })`. */
export function createIdentityClient(options: IdentityClientOptions): IdentityClient {
  return clientsFor(createIdentityTransport(options));
}

export { clientsFor, identityClient, SERVICES, type IdentityClient } from "./services.js";
export { anyTypes } from "./any-types.js";
export { bearerAuth, fetchWithCredentials } from "./auth.js";
export { Code, IdentityError, isIdentityError, type ErrorCause, type FieldViolation } from "./errors.js";
export { listPage, pageCount, type Page } from "./list.js";
export {
  createAccountClient, type AccountClient, type AccountClientOptions, type AccountSession, type BrowserSession, type StateChange, type LoginProvider, type PendingProviderLink,
} from "./account.js";
export * from "./messages.js";
