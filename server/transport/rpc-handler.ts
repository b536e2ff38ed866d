// The Node request handler for every RPC: connect-node's adapter, plus one step before Connect parses a Connect
// JSON request, which rewrites upstream's JSON dialect into canonical JSON (upstream-json.ts).
import type http from "node:http";
import type http2 from "node:http2";
import { Code, ConnectError, createConnectRouter, type ConnectRouter, type ConnectRouterOptions } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { UniversalHandler, UniversalServerRequest } from "@connectrpc/connect/protocol";
import { canonicalRequestJson, mayNeedRewrite } from "./upstream-json.js";

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

export interface RpcHandlerOptions extends ConnectRouterOptions {
  routes: (router: ConnectRouter) => void;
}

export interface RpcHandler {
  (req: NodeRequest, res: NodeResponse): void;
  /** The router's handlers (every interceptor included), for the HTTP API to call them. */
  readonly handlers: readonly UniversalHandler[];
}

export function rpcHandler(options: RpcHandlerOptions): RpcHandler {
  const router = createConnectRouter({ acceptCompression: [compressionGzip, compressionBrotli], ...options });
  options.routes(router);
  const handlers = new Map(router.handlers.map((h) => [h.requestPath, h]));
  const readMaxBytes = options.readMaxBytes ?? 0xffffffff;

  return Object.assign((req: NodeRequest, res: NodeResponse) => {
    const handler = handlers.get(req.url?.split("?", 2)[0] ?? "");
    if (!handler) {
      res.writeHead(404);
      res.end();
      return;
    }
    const uReq = universalRequestFromNodeRequest(req as http.IncomingMessage, res as http.ServerResponse, undefined, undefined);
    (isConnectJson(uReq) && mayNeedRewrite(handler.method.input) ? rewriteJsonBody(uReq, handler, readMaxBytes) : Promise.resolve())
      .then(() => handler(uReq))
      .then((uRes) => universalResponseToNodeResponse(uRes, res as http.ServerResponse))
      .catch((reason: unknown) => {
        if (ConnectError.from(reason).code === Code.Aborted) return; // the client went away
        if (!res.headersSent) {
          res.writeHead(500);
          res.end();
        }
      });
  }, { handlers: router.handlers });
}

/** A Connect unary call with an uncompressed JSON body: the only kind upstream's JSON clients send. */
function isConnectJson(req: UniversalServerRequest): boolean {
  if (req.method !== "POST" || req.header.get("content-encoding")) return false;
  const type = req.header.get("content-type")?.split(";", 1)[0]?.trim().toLowerCase();
  return type === "application/json";
}

async function rewriteJsonBody(req: UniversalServerRequest, handler: UniversalHandler, readMaxBytes: number): Promise<void> {
  const source = req.body as AsyncIterable<Uint8Array>;
  const iterator = source[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    chunks.push(next.value);
    size += next.value.byteLength;
    if (size > readMaxBytes) {
      // Too large to rewrite: hand Connect what was read and the rest, so it refuses the body as usual.
      req.body = (async function* () {
        yield* chunks;
        for (let n = await iterator.next(); !n.done; n = await iterator.next()) yield n.value;
      })();
      return;
    }
  }
  const body = canonicalRequestJson(Buffer.concat(chunks), handler.method.input);
  req.header.set("content-length", String(body.byteLength));
  req.body = (async function* () { yield body; })();
}
