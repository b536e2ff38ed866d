// Account-app helpers: create users through the API, log in over HTTP, and call RPCs with the session cookie
// the way a browser app would (cookie plus the browser's Origin / Sec-Fetch-Site headers).
import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserAccess, UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import type { Protocol, TestServer } from "../support/server.js";

export const PASSWORD = "Secret-Passw0rd";

let seq = 0;
export const uniqueId = (prefix: string): string => `${prefix}-${process.pid % 1000}-${++seq}`;

export async function createUser(server: TestServer, userId = uniqueId("user"), state: State = State.APPROVED): Promise<string> {
  await server.client(UserRegistry, "connect", server.adminKey).create({
    user: { ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: PASSWORD, state },
  });
  return userId;
}

/** A key the user makes for itself, through its session (admins cannot mint keys for others by default). */
export async function apiKeyFor(server: TestServer, userId: string, rights: Right[] = [Right.ALL]): Promise<string> {
  const cookie = await loggedIn(server, userId);
  const key = await clientWithHeaders(server, UserAccess, { cookie }).createAPIKey({ userIds: { userId }, rights, name: "test" });
  return key.key;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: any;
  /** `_session=<value>` from Set-Cookie, ready for a Cookie header. */
  cookie?: string;
}

export async function request(server: TestServer, method: string, path: string, options: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(options.form).toString();
  }
  const res = await fetch(`${server.baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  const setCookie = res.headers.get("set-cookie") ?? undefined;
  const cookie = setCookie?.match(/^(_session=[^;]+)/)?.[1];
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, cookie: cookie === "_session=" ? undefined : cookie };
}

export const login = (server: TestServer, userId: string, password = PASSWORD, headers: Record<string, string> = {}) =>
  request(server, "POST", "/oauth/api/auth/login", { json: { user_id: userId, password }, headers });

export async function loggedIn(server: TestServer, userId: string, password = PASSWORD): Promise<string> {
  const res = await login(server, userId, password);
  if (res.status !== 204 || !res.cookie) throw new Error(`login of ${userId} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.cookie;
}

/** `namespace:name` of an account-app error body. */
export const errorName = (body: any): string => (body?.details?.[0] ? `${body.details[0].namespace}:${body.details[0].name}` : "");

/** A typed client whose requests carry `headers` (e.g. the session cookie and an Origin), like a browser app. */
export function clientWithHeaders<S extends DescService>(server: TestServer, service: S, headers: Record<string, string>, protocol: Protocol = "connect"): Client<S> {
  const withHeaders: Interceptor = (next) => (req) => {
    for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
    return next(req);
  };
  const make = { connect: createConnectTransport, "grpc-web": createGrpcWebTransport, grpc: createGrpcTransport }[protocol];
  const transport = make({
    baseUrl: server.baseUrl,
    httpVersion: protocol === "grpc" ? "2" : "1.1",
    interceptors: [withHeaders],
  } as never);
  return createClient(service, transport);
}
