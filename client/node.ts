// The SDK under Node: everything of the browser SDK, plus gRPC over HTTP/2, on connect-node's transports
// (Node's HTTP stack instead of fetch, so HTTP/2 and custom agents work).
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, type Http2SessionManager } from "@connectrpc/connect-node";
import { anyTypes } from "./any-types.js";
import { sdkInterceptors } from "./index.js";
import { clientsFor, type IdentityClient } from "./services.js";

export * from "./index.js";

export type NodeProtocol = "connect" | "grpc-web" | "grpc";

export interface NodeIdentityClientOptions {
  baseUrl: string;
  /** Default "connect". "grpc" always uses HTTP/2. */
  protocol?: NodeProtocol;
  apiKey?: string;
  /** Default "1.1" for Connect and gRPC-Web. */
  httpVersion?: "1.1" | "2";
  useBinaryFormat?: boolean;
  interceptors?: Interceptor[];
  /** Reuse one HTTP/2 connection across transports. */
  sessionManager?: Http2SessionManager;
}

export function createIdentityTransport(options: NodeIdentityClientOptions): Transport {
  const protocol = options.protocol ?? "connect";
  const common = {
    baseUrl: options.baseUrl,
    interceptors: sdkInterceptors(options),
    ...(options.sessionManager ? { sessionManager: options.sessionManager } : {}),
  };
  switch (protocol) {
    case "connect":
      return createConnectTransport({ ...common, httpVersion: options.httpVersion ?? "1.1", useBinaryFormat: options.useBinaryFormat ?? true, jsonOptions: { registry: anyTypes } } as never);
    case "grpc-web":
      return createGrpcWebTransport({ ...common, httpVersion: options.httpVersion ?? "1.1", useBinaryFormat: true } as never);
    case "grpc":
      return createGrpcTransport({ ...common, httpVersion: "2", useBinaryFormat: true } as never);
    default:
      throw new Error(`unsupported protocol ${String(protocol)}`);
  }
}

export function createIdentityClient(options: NodeIdentityClientOptions): IdentityClient {
  return clientsFor(createIdentityTransport(options));
}
