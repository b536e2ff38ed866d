// The Node request handler for every RPC: connect-node's adapter, after the request body has been bounded and
// checked (request-body.ts) and, for Connect JSON, rewritten from upstream's JSON dialect into canonical JSON
// (upstream-json.ts). A body that is too large or malformed never reaches a handler: Connect gets the empty
// message and the request guard interceptor answers with the error in the call's own protocol.
import http2 from "node:http2";
import type http from "node:http";
import {
  Code, ConnectError, createConnectRouter, createContextKey, createContextValues,
  type ConnectRouter, type ConnectRouterOptions, type ContextValues, type Interceptor,
} from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { UniversalHandler, UniversalServerRequest } from "@connectrpc/connect/protocol";
import type { DescMessage } from "@bufbuild/protobuf";
import * as errors from "../domain/error-catalog.js";
import type { ServiceError } from "../domain/errors.js";
import type { Logger } from "../logger.js";
import { bodyKind, checkBody, emptyBody, encodeBody, ENVELOPE_BYTES, readBody, type BodyKind } from "./request-body.js";
import { canonicalRequestJson, mayNeedRewrite } from "./upstream-json.js";

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

/** Raises the refusal of a request whose body was too large or malformed; place it before validation. */
export const requestGuardInterceptor: Interceptor = (next) => async (req) => {
  const refused = req.contextValues.get(REFUSED);
  if (refused) throw refused;
  return next(req);
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
    (kind ? prepare(req, res, uReq, kind, limit, handler.method.input, values) : Promise.resolve())
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
 * Reads and checks the body, then gives Connect the message uncompressed (Connect JSON in canonical JSON), or the
 * empty message and a refusal for the request guard.
 */
async function prepare(
  req: NodeRequest, res: NodeResponse, uReq: UniversalServerRequest, kind: BodyKind, limit: number,
  input: Parameters<typeof checkBody>[3], values: ContextValues,
): Promise<void> {
  const envelope = kind.protocol === "connect" ? 0 : ENVELOPE_BYTES;
  const body = await readBody(req, limit + envelope);
  let checked = body === "too_large" ? ({ ok: false, problem: "too_large" } as const) : await checkBody(body, kind, req.headers, input, limit);
  if (!checked) {
    // A compression this does not know: Connect decides (it answers that it does not support it).
    setBody(uReq, body as Uint8Array);
    return;
  }
  if (checked.ok && kind.protocol === "connect" && !kind.binary && mayNeedRewrite(input)) {
    try {
      checked = { ok: true, message: canonicalRequestJson(checked.message, input) };
    } catch {
      // Left as sent: Connect's parser says what is wrong with it.
    }
  }
  if (checked.ok) {
    uReq.header.delete("content-encoding");
    setBody(uReq, encodeBody(checked.message, kind));
    return;
  }
  if (checked.problem === "too_large") {
    values.set(REFUSED, errors.requestTooLarge({ max_bytes: limit }));
    if (body === "too_large") endExchangeAfterAnswer(req, res); // the rest of the body is never read
  } else {
    values.set(REFUSED, errors.malformedRequest({ message: input.typeName, reason: checked.reason }));
  }
  uReq.header.delete("content-encoding");
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
