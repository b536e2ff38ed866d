// The ceiling `npm run bench` compares against: a Connect-ES server over the same generated code, the same
// one-port listener and the same protocols and compression, whose handlers return a fixed answer (no auth, no
// database, no interceptors). The answers are the real server's own responses, captured by the bench, so both
// serialize the same bytes. Which answer a call gets is named by the `x-bench-case` header.
// Run by bench/run.ts: PORT=<port> tsx bench/bare-server.ts <answers.json>
import { readFileSync } from "node:fs";
import { fromBinary, type DescMessage, type Message } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, connectNodeAdapter } from "@connectrpc/connect-node";
import { EntityAccess } from "../gen/ttn/lorawan/v3/identityserver_pb.js";
import { EntityRegistrySearch } from "../gen/ttn/lorawan/v3/search_services_pb.js";
import { UserRegistry } from "../gen/ttn/lorawan/v3/user_services_pb.js";
import { listen } from "../server/transport/listener.js";

const [answersFile] = process.argv.slice(2);
const port = process.env.PORT;
/** case name → the response in protobuf binary, base64. */
const encoded = JSON.parse(readFileSync(answersFile!, "utf8")) as Record<string, string>;

function answer<T extends DescMessage>(schema: T): (req: unknown, ctx: HandlerContext) => Message {
  const byCase = new Map<string, Message>();
  for (const [name, base64] of Object.entries(encoded)) {
    try {
      byCase.set(name, fromBinary(schema, Buffer.from(base64, "base64")));
    } catch {
      // another method's answer
    }
  }
  return (_req, ctx) => {
    const message = byCase.get(ctx.requestHeader.get("x-bench-case") ?? "");
    if (!message) throw new Error("no answer for this case");
    return message;
  };
}

// Same adapter options as server/transport/rpc-handler.ts, minus interceptors and the JSON dialect step.
const handler = connectNodeAdapter({
  acceptCompression: [compressionGzip, compressionBrotli],
  jsonOptions: { useProtoFieldName: true },
  readMaxBytes: 16 * 1024 * 1024,
  routes: (router) => {
    router.service(EntityAccess, { authInfo: answer(EntityAccess.method.authInfo.output) as never });
    router.service(UserRegistry, { get: answer(UserRegistry.method.get.output) as never, list: answer(UserRegistry.method.list.output) as never });
    router.service(EntityRegistrySearch, { searchUsers: answer(EntityRegistrySearch.method.searchUsers.output) as never });
  },
});
const listener = await listen(handler, { host: "127.0.0.1", port: Number(port) });
console.log(`bare server listening on ${listener.port}`);
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => { void listener.close(1000).then(() => process.exit(0)); });
