// Plain HTTP requests against the HTTP/JSON API, as a client written against The Things Stack's documentation
// sends them: JSON in, JSON out, `Authorization: Bearer …`.
import { expect } from "vitest";
import type { TestServer } from "../support/server.js";

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
}

export interface ApiRequest {
  /** An API key or session token (sent as Bearer), or a full Authorization value ("ClusterKey …"). */
  token?: string;
  json?: unknown;
  /** A raw body, sent as it is (for bodies that are not JSON). */
  body?: string;
  headers?: Record<string, string>;
}

export async function api(server: TestServer, method: string, path: string, request: ApiRequest = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.token) headers.authorization = request.token.includes(" ") ? request.token : `Bearer ${request.token}`;
  if (request.json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${server.baseUrl}/api/v3${path}`, { method, headers, body: request.json === undefined ? request.body : JSON.stringify(request.json) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** Asserts a 200 and returns the body. */
export async function ok(response: Promise<ApiResponse>): Promise<any> {
  const res = await response;
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/json");
  return res.body;
}

/**
 * Asserts upstream's error shape: the HTTP status grpc-gateway gives the gRPC code, and a body with that code, the
 * `error:<namespace>:<name> (…)` message and an ErrorDetails detail naming the same error; 401s with a challenge.
 */
export async function fails(response: Promise<ApiResponse>, status: number, code: number, name: string): Promise<any> {
  const res = await response;
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.code).toBe(code);
  expect(res.body.message).toMatch(new RegExp(`^error:${name.replace(/[/.]/g, "\\$&")} \\(`));
  const details = res.body.details.find((d: any) => d["@type"] === "type.googleapis.com/ttn.lorawan.v3.ErrorDetails");
  expect(`${details?.namespace}:${details?.name}`).toBe(name);
  expect(details.code).toBe(code);
  expect(details.correlation_id).toMatch(/^[0-9a-f]{32}$/);
  // grpc-gateway's error handler sends the message of every UNAUTHENTICATED error as the challenge.
  expect(res.headers.get("www-authenticate")).toBe(code === 16 ? res.body.message : null);
  return res.body;
}
