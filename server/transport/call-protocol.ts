// Which of the four ways in a call came: the RPC protocol from its content type, or the HTTP API (/api/v3), which
// marks the calls it makes. One answer for the log line and the metrics alike.
import { createContextKey, type StreamRequest, type UnaryRequest } from "@connectrpc/connect";

/** Set by the /api/v3 route on the calls it makes, so they count as protocol "http". */
export const HTTP_API_CALL = createContextKey<boolean>(false, { description: "call made through the HTTP API" });

export type CallProtocol = "grpc" | "grpc-web" | "connect" | "http";

export function callProtocol(req: UnaryRequest | StreamRequest): CallProtocol {
  if (req.contextValues.get(HTTP_API_CALL)) return "http";
  const type = (req.header.get("content-type") ?? "").toLowerCase();
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc";
  return "connect";
}
