// The Node request handler for every RPC: connect-node's adapter, after the request body has been bounded,
// checked and decoded (request-body.ts; Connect JSON in upstream's dialect too, upstream-json.ts). The message is
// decoded once: Connect gets an empty body and the request guard interceptor hands the decoded message on. A body
// that is too large or malformed never reaches a handler: the request guard answers with the error in the call's
// own protocol.
import http2 from "node:http2";
import type http from "node:http";
import {
  Code, ConnectError, createConnectRouter, createContextKey, createContextValues,
  type ConnectRouter, type ConnectRouterOptions, type ContextValues, type Interceptor,
} from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { UniversalHandler, UniversalServerRequest } from "@connectrpc/connect/protocol";
import type { DescMessage, JsonReadOptions, Message } from "@bufbuild/protobuf";
import * as errors from "../domain/error-catalog.js";
import type { ServiceError } from "../domain/errors.js";
import type { Logger } from "../logger.js";
import { bodyKind, checkBody, emptyBody, encodeBody, ENVELOPE_BYTES, readBody, type BodyKind } from "./request-body.js";
import { decodeRequestJson } from "./upstream-json.js";

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

export interface RpcHandlerOptions extends ConnectRouterOptions {
  routes: (router: ConnectRouter) => void;
  /** Largest request message of any method without its own limit. */
  maxBodyBytes: number;
  /** Larger limits of some methods, by request path ("/ttn.lorawan.v3.UserRegistry/Create"). */
  bodyLimits?: Record<string, number>;
  /** Values every handler can read from its context (e.g. the client address). */
  contextValues?: (req: NodeRequest) => ContextValues;
  logger?: Logger;
}

/** A refusal decided before Connect parsed the request; the request guard interceptor raises it. */
const REFUSED = createContextKey<ServiceError | undefined>(undefined, { description: "request refused before parsing" });

/** A request message decoded before Connect saw the body (Connect got an empty one). */
const DECODED = createContextKey<Message | undefined>(undefined, { description: "request message decoded by rpcHandler" });

/**
 * Raises the refusal of a request whose body was too large or malformed, and gives the handlers the message that
 * was decoded in place of the empty one Connect parsed; place it before validation.
 */
export const requestGuardInterceptor: Interceptor = (next) => async (req) => {
  const refused = req.contextValues.get(REFUSED);
  if (refused) throw refused;
  const decoded = req.contextValues.get(DECODED);
  return next(decoded && !req.stream ? { ...req, message: decoded } : req);
};

export interface RpcHandler {
  (req: NodeRequest, res: NodeResponse): void;
  /** The router's handlers (every interceptor included), for the HTTP API to call them. */
  readonly handlers: readonly UniversalHandler[];
  /** The request message of every method served. */
  readonly inputs: DescMessage[];
}

export function rpcHandler(options: RpcHandlerOptions): RpcHandler {
  const bodyLimits = options.bodyLimits ?? {};
  const largest = Math.max(options.maxBodyBytes, ...Object.values(bodyLimits));
  const router = createConnectRouter({
    acceptCompression: [compressionGzip, compressionBrotli],
    readMaxBytes: largest,
    ...options,
    // Invalid UTF-8 in a JSON body is refused (INVALID_ARGUMENT), not read as U+FFFD. Connect's JSON
    // serialization takes its decoder from here, though its type does not say so.
    jsonOptions: { ...options.jsonOptions, textDecoder: new TextDecoder("utf-8", { fatal: true }) } as ConnectRouterOptions["jsonOptions"],
  });
  options.routes(router);
  const handlers = new Map(router.handlers.map((h) => [h.requestPath, h]));
  // As Connect's own JSON parsing reads: unknown fields are ignored unless the options say otherwise.
  const jsonRead: Partial<JsonReadOptions> = { ignoreUnknownFields: true, ...options.jsonOptions };

  const handle = (req: NodeRequest, res: NodeResponse) => {
    const path = req.url?.split("?", 2)[0] ?? "";
    const handler = handlers.get(path);
    if (!handler) {
      res.writeHead(404);
      res.end();
      return;
    }
    const values = options.contextValues?.(req) ?? createContextValues();
    const uReq = universalRequestFromNodeRequest(req as http.IncomingMessage, res as http.ServerResponse, undefined, values);
    const kind = bodyKind(req.method, req.headers["content-type"]);
    const limit = bodyLimits[path] ?? options.maxBodyBytes;
    (kind ? prepare(req, res, uReq, kind, limit, handler.method.input, values, jsonRead) : Promise.resolve())
      .then(() => handler(uReq))
      .then((uRes) => universalResponseToNodeResponse(uRes, res as http.ServerResponse))
      .catch((reason: unknown) => {
        const code = ConnectError.from(reason).code;
        if (code === Code.Aborted || code === Code.Canceled) return; // the client went away
        if (reason instanceof Error && reason.message === "request aborted by the client") return;
        options.logger?.error({ err: reason, procedure: path }, "RPC failed outside its handler");
        if (!res.headersSent) {
          res.writeHead(500);
          res.end();
        }
      });
  };
  return Object.assign(handle, { handlers: router.handlers, inputs: router.handlers.map((h) => h.method.input) });
}

/**
 * Reads, checks and decodes the body, then gives Connect an empty one and the request guard the message; or the
 * body uncompressed when Connect should report what is wrong with it; or the empty message and a refusal.
 */
async function prepare(
  req: NodeRequest, res: NodeResponse, uReq: UniversalServerRequest, kind: BodyKind, limit: number,
  input: DescMessage, values: ContextValues, jsonRead: Partial<JsonReadOptions>,
): Promise<void> {
  const envelope = kind.protocol === "connect" ? 0 : ENVELOPE_BYTES;
  const body = await readBody(req, limit + envelope);
  const checked = body === "too_large" ? ({ ok: false, problem: "too_large" } as const) : await checkBody(body, kind, req.headers, input, limit);
  if (!checked) {
    // A compression this does not know: Connect decides (it answers that it does not support it).
    setBody(uReq, body as Uint8Array);
    return;
  }
  uReq.header.delete("content-encoding");
  if (checked.ok) {
    let { decoded: message, message: bytes } = checked;
    // gRPC JSON is left to Connect as sent: upstream's dialect is a matter of Connect JSON (and the HTTP API).
    if (!kind.binary && kind.protocol === "connect") ({ message, body: bytes } = decodeRequestJson(bytes, input, jsonRead));
    if (message) {
      values.set(DECODED, message);
      setBody(uReq, emptyBody(kind));
    } else {
      setBody(uReq, encodeBody(bytes, kind));
    }
    return;
  }
  if (checked.problem === "too_large") {
    values.set(REFUSED, errors.requestTooLarge({ max_bytes: limit }));
    if (body === "too_large") endExchangeAfterAnswer(req, res); // the rest of the body is never read
  } else {
    values.set(REFUSED, errors.malformedRequest({ message: input.typeName, reason: checked.reason }));
  }
  setBody(uReq, emptyBody(kind));
}

function setBody(uReq: UniversalServerRequest, bytes: Uint8Array): void {
  uReq.header.set("content-length", String(bytes.byteLength));
  uReq.body = (async function* () { yield bytes; })();
}

/**
 * A body left unread: HTTP/1.1 closes the connection after the answer (nothing else can follow on it), HTTP/2
 * resets the stream after the answer, so the client stops sending.
 */
function endExchangeAfterAnswer(req: NodeRequest, res: NodeResponse): void {
  if ("stream" in req) {
    res.once("finish", () => req.stream.close(http2.constants.NGHTTP2_NO_ERROR));
  } else {
    res.setHeader("connection", "close");
    res.once("finish", () => req.socket.destroySoon());
  }
}
