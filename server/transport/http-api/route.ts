// The HTTP/JSON API (upstream's grpc-gateway under /api/v3): a transcoder in front of the Connect handlers, not a
// second implementation. Each request is matched against the methods' `google.api.http` bindings, turned into the
// request message, and handed to the very handler the Connect router registered, as a Connect unary call in
// binary, so every interceptor (logging, errors, validation) and the handlers' authentication (`authorization`,
// the session cookie with its same-origin check) apply unchanged. The response or error comes back in protojson
// with proto field names, with the response headers upstream forwards.
import { fromBinary, toBinary, toJson, type JsonValue, type Registry } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import { universalRequestFromNodeRequest } from "@connectrpc/connect-node";
import type { UniversalHandler, UniversalServerRequest } from "@connectrpc/connect/protocol";
import { errorFromJsonBytes } from "@connectrpc/connect/protocol-connect";
import type http from "node:http";
import * as errors from "../../domain/error-catalog.js";
import { ServiceError } from "../../domain/errors.js";
import type { Logger } from "../../logger.js";
import { toConnectError } from "../errors.js";
import type { HttpRequest, HttpResponse, HttpRoute } from "../http-route.js";
import type { Json } from "../upstream-json.js";
import { canHoldAny, typeFirst } from "./any-json.js";
import { httpBindings, type HttpBinding } from "./bindings.js";
import { errorBody, httpStatusFromCode, routingErrorBody, wwwAuthenticate } from "./error-body.js";
import { JsonNestingGuard, MAX_JSON_NESTING } from "../json-nesting.js";
import { openApiDocument } from "./openapi.js";
import { compareSpecificity, matchPath } from "./path-template.js";
import { requestMessage } from "./request-message.js";
import { requestIdOf } from "../../ops/request-id.js";

export interface HttpApiOptions {
  /** Where the API is mounted, e.g. "/api/v3"; the rules' paths are relative to it. */
  prefix: string;
  /** The Connect router's handlers; every one whose method has an HTTP rule is served. */
  handlers: Iterable<UniversalHandler>;
  /** The largest request body read for a method (by its RPC path), in bytes (JSON, before it becomes binary). */
  readMaxBytes: number | ((requestPath: string) => number);
  /** Values the handlers read from their context (the client address that per-address limits count by). */
  contextValues?: (req: HttpRequest) => ContextValues;
  /** Message types for `google.protobuf.Any` in JSON. */
  registry: Registry;
  logger: Logger;
}

/** Response headers of the RPCs that upstream's gateway forwards, by the name it gives them. */
const FORWARDED_HEADERS: Record<string, string> = {
  "x-total-count": "X-Total-Count",
  warning: "X-Warning", // HTTP's own Warning header means something else
  "x-rate-limit-limit": "X-Rate-Limit-Limit",
  "x-rate-limit-available": "X-Rate-Limit-Available",
  "x-rate-limit-reset": "X-Rate-Limit-Reset",
  "x-rate-limit-retry": "X-Rate-Limit-Retry",
};

/** Request headers that belong to the HTTP exchange rather than to the call; the rest reach the handler. */
const EXCHANGE_HEADER = /^(content-|accept-encoding$|transfer-encoding$|connection$|keep-alive$|te$|upgrade$|connect-|grpc-|x-grpc-web$)/;

interface Route {
  binding: HttpBinding;
  handler: UniversalHandler;
}

const OPENAPI_PATH = "/openapi.json";

export function httpApiRoute(options: HttpApiOptions): HttpRoute {
  const { prefix, registry, logger } = options;
  const handlerByMethod = new Map([...options.handlers].map((h) => [h.method, h]));
  const routes: Route[] = httpBindings(handlerByMethod.keys())
    .map((binding) => ({ binding, handler: handlerByMethod.get(binding.method)! }))
    .sort((a, b) => compareSpecificity(a.binding.path, b.binding.path));
  const openApi = JSON.stringify(openApiDocument(routes.map((r) => r.binding), prefix));

  return (req, res) => {
    const url = req.url ?? "";
    const queryAt = url.indexOf("?");
    const pathname = queryAt < 0 ? url : url.slice(0, queryAt);
    if (pathname !== prefix && !pathname.startsWith(`${prefix}/`)) return false;
    const path = pathname.slice(prefix.length) || "/";

    if (path === OPENAPI_PATH && (req.method === "GET" || req.method === "HEAD")) {
      send(res, 200, openApi);
      return true;
    }
    const allowed = new Set<string>();
    for (const route of routes) {
      const pathValues = matchPath(route.binding.path, path);
      if (!pathValues) continue;
      if (route.binding.httpMethod !== req.method) {
        allowed.add(route.binding.httpMethod);
        continue;
      }
      const rawQuery = queryAt < 0 ? "" : url.slice(queryAt + 1);
      if (!isUtf8Query(rawQuery)) {
        // URLSearchParams would turn invalid UTF-8 into U+FFFD and store that; refuse it as the body's would be.
        reply(res, toConnectError(errors.requestBody({ reason: "the query string is not percent-encoded UTF-8" })), new Headers());
        return true;
      }
      const query = new URLSearchParams(rawQuery);
      // Throws on a request without a usable authority; the app answers that with 400.
      const uReq = universalRequestFromNodeRequest(req as http.IncomingMessage, res as http.ServerResponse, undefined, options.contextValues?.(req));
      void call(route, pathValues, query, uReq, res, requestIdOf(req)).catch((err: unknown) => fail(req, res, err));
      return true;
    }
    if (allowed.size) res.setHeader("Allow", [...allowed].join(", "));
    sendJson(res, allowed.size ? 405 : 404, routingErrorBody(allowed.size ? Code.Unimplemented : Code.NotFound));
    return true;
  };

  async function call(route: Route, pathValues: Map<string, string>, query: URLSearchParams, uReq: UniversalServerRequest, res: HttpResponse, request_id: string | undefined): Promise<void> {
    const { binding, handler } = route;
    let input: Uint8Array;
    try {
      const body = binding.body ? await readJsonBody(uReq, handler.requestPath, res) : undefined;
      input = toBinary(binding.method.input, requestMessage(binding, { pathValues, query, body }, registry));
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      logger.info({ request_id, procedure: handler.requestPath, code: err.code, error: err.message }, "http api request rejected");
      reply(res, toConnectError(err), new Headers());
      return;
    }

    const header = new Headers();
    uReq.header.forEach((value, name) => { if (!EXCHANGE_HEADER.test(name)) header.append(name, value); });
    header.set("content-type", "application/proto");
    const uRes = await handler({
      ...uReq,
      method: "POST",
      url: new URL(handler.requestPath, uReq.url).toString(), // same origin: the cookie's same-origin check needs it
      header,
      body: (async function* () { yield input; })(),
    });
    const bytes = await readAll(uRes.body);
    const resHeader = uRes.header ?? new Headers();
    if (uRes.status !== 200) {
      const fallback = new ConnectError(`HTTP ${uRes.status}`, Code.Internal);
      reply(res, errorFromJsonBytes(bytes, undefined, fallback), resHeader);
      return;
    }
    const output = fromBinary(binding.method.output, bytes);
    let json = toJson(binding.method.output, output, { useProtoFieldName: true, registry });
    if (canHoldAny(binding.method.output)) json = typeFirst(json);
    forwardHeaders(res, resHeader);
    sendJson(res, 200, binding.responseBody ? (json as Record<string, JsonValue>)[binding.responseBody] ?? null : json);
  }

  async function readJsonBody(uReq: UniversalServerRequest, requestPath: string, res: HttpResponse): Promise<Json | undefined> {
    const readMaxBytes = typeof options.readMaxBytes === "number" ? options.readMaxBytes : options.readMaxBytes(requestPath);
    if (uReq.header.get("content-encoding")?.toLowerCase().replace("identity", "").trim()) {
      throw errors.requestBody({ reason: "compressed bodies are not supported" });
    }
    const chunks: Uint8Array[] = [];
    const nesting = new JsonNestingGuard();
    let size = 0;
    for await (const chunk of uReq.body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > readMaxBytes) throw unread(res, errors.requestBodyTooLarge({ maximum: readMaxBytes }));
      if (!nesting.push(chunk)) throw unread(res, errors.requestBody({ reason: `JSON nested more than ${MAX_JSON_NESTING} levels deep` }));
      chunks.push(chunk);
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
    } catch {
      throw errors.requestBody({ reason: "not UTF-8" });
    }
    if (!text.trim()) return undefined; // grpc-gateway takes an empty body as an empty message
    try {
      return JSON.parse(text) as Json;
    } catch {
      throw errors.requestBody({ reason: "not JSON" });
    }
  }

  function reply(res: HttpResponse, err: ConnectError, header: Headers): void {
    forwardHeaders(res, header);
    const challenge = wwwAuthenticate(err);
    if (challenge) res.setHeader("WWW-Authenticate", challenge);
    sendJson(res, httpStatusFromCode(err.code), errorBody(err, registry));
  }

  function fail(req: HttpRequest, res: HttpResponse, err: unknown): void {
    if (ConnectError.from(err).code === Code.Aborted || req.destroyed) return; // the client went away
    logger.error({ err, request_id: requestIdOf(req), method: req.method, url: req.url }, "http api request failed");
    if (!res.headersSent) reply(res, toConnectError(errors.internal()), new Headers());
  }
}

/**
 * For an error answered before the body was read to its end: the rest of the body is still on an HTTP/1.1
 * connection, so it cannot carry another request. Saying so lets the client open a new one instead of sending
 * its next request into a socket the server is about to drop (ECONNRESET). HTTP/2 resets just the stream.
 */
function unread<E>(res: HttpResponse, err: E): E {
  if (!res.headersSent && "shouldKeepAlive" in res) res.setHeader("connection", "close");
  return err;
}

/** Whether every percent-encoded parameter of `query` decodes as UTF-8. */
function isUtf8Query(query: string): boolean {
  try {
    for (const part of query.split("&")) decodeURIComponent(part.replace(/\+/g, " "));
    return true;
  } catch {
    return false;
  }
}

async function readAll(body: AsyncIterable<Uint8Array> | undefined): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function forwardHeaders(res: HttpResponse, header: Headers): void {
  for (const [name, forwarded] of Object.entries(FORWARDED_HEADERS)) {
    const value = header.get(name);
    if (value !== null) res.setHeader(forwarded, value);
  }
}

function sendJson(res: HttpResponse, status: number, body: JsonValue): void {
  send(res, status, JSON.stringify(body));
}

function send(res: HttpResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.setHeader("content-length", String(Buffer.byteLength(body)));
  res.end(body);
}
