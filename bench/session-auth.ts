// Per-request cost of authenticating with a session (cookie or ONZW4 bearer) versus an API key: N sequential
// AuthInfo calls over Connect on a real server with the embedded database. Run: npx tsx bench/session-auth.ts [N]
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { EntityAccess } from "../gen/ttn/lorawan/v3/identityserver_pb.js";
import { ADMIN_PASSWORD, databaseBackends, startTestServer } from "../test/support/server.js";

const N = Number(process.argv[2] ?? 500);
const backend = databaseBackends().find((b) => b.name === (process.env.BENCH_BACKEND ?? "embedded"))!;
const server = await startTestServer(backend);
try {
  const res = await fetch(`${server.baseUrl}/oauth/api/auth/login`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user_id: "admin-user", password: ADMIN_PASSWORD }),
  });
  const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
  const [id, secret] = cookie.slice("_session=".length).split(".");

  const client = (headers: Record<string, string>) => {
    const withHeaders: Interceptor = (next) => (req) => {
      for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
      return next(req);
    };
    return createClient(EntityAccess, createConnectTransport({ baseUrl: server.baseUrl, httpVersion: "1.1", interceptors: [withHeaders] }));
  };
  const cases: [string, ReturnType<typeof client>][] = [
    ["anonymous (no credential)", client({})],
    ["API key", client({ authorization: `Bearer ${server.adminKey}` })],
    ["session cookie", client({ cookie })],
    ["session bearer ONZW4", client({ authorization: `Bearer ONZW4.${id}.${secret}` })],
  ];
  for (const [, c] of cases) for (let i = 0; i < 50; i++) await c.authInfo({}); // warm-up
  console.log(`${N} sequential AuthInfo calls per credential, ${backend.name} database; 3 rounds, rotated order`);
  for (let round = 0; round < 3; round++) {
    for (let k = 0; k < cases.length; k++) {
      const [name, c] = cases[(k + round) % cases.length]!;
      const start = process.hrtime.bigint();
      for (let i = 0; i < N; i++) await c.authInfo({});
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      console.log(`round ${round + 1}  ${name.padEnd(28)} ${(ms / N).toFixed(3)} ms/call  (${Math.round((N * 1000) / ms)} calls/s)`);
    }
  }
} finally {
  await server.close();
}
