// When PostgreSQL cannot be reached, calls answer upstream's `pkg/util/store:database_unavailable` (14,
// UNAVAILABLE) with a retry hint instead of an internal error, and work again once it is back. The server talks
// to PostgreSQL through a TCP relay that the test cuts and restores.
import net from "node:net";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { login } from "../account/support.js";
import { databaseBackends, rpcError, startTestServer, type DatabaseBackend, type TestServer } from "../support/server.js";

/** A TCP relay to `target` that can refuse and cut connections, standing in for a database going away. */
class Relay {
  private server = net.createServer((client) => this.accept(client));
  private open = new Set<net.Socket>();
  down = false;
  constructor(private readonly target: { host: string; port: number }) {}

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  private accept(client: net.Socket): void {
    if (this.down) return void client.destroy();
    const upstream = net.connect(this.target.port, this.target.host);
    for (const s of [client, upstream]) {
      this.open.add(s);
      s.on("error", () => {});
      s.on("close", () => { this.open.delete(s); client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  cut(): void {
    this.down = true;
    for (const s of this.open) s.destroy();
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const postgres = databaseBackends().find((b) => b.name === "postgres");

// Declared only with PostgreSQL: an embedded-only run has nothing to skip.
if (postgres) describe("database unavailable on postgres", () => {
  let server: TestServer;
  let relay: Relay;
  beforeAll(async () => {
    const backend = postgres!;
    // The test database, reached by the server only through the relay.
    let url = "";
    const relayed: DatabaseBackend = {
      name: "postgres",
      async create(options) {
        const db = await backend.create(options);
        const target = new URL(db.url!);
        relay = new Relay({ host: target.hostname, port: Number(target.port || 5432) });
        target.port = String(await relay.listen());
        url = target.toString();
        return { ...db, url, dispose: async () => { await relay.close(); await db.dispose(); } };
      },
    };
    server = await startTestServer(relayed);
    expect(url).toContain("127.0.0.1");
  });
  afterAll(async () => { await server?.close(); });

  it("answers database_unavailable (14) with a retry hint, on RPCs and logins, and recovers", async () => {
    const registry = server.client(UserRegistry, "connect", server.adminKey);
    await registry.get({ userIds: { userId: "admin-user" } });

    relay.cut();
    // List, not Get: the key and recently read users are answered from caches without the database.
    const err = await rpcError(registry.list({}));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.errorName).toBe("pkg/util/store:database_unavailable");
    expect(Number(err.metadata.get("retry-after"))).toBeGreaterThanOrEqual(1);

    const grpc = await rpcError(server.client(UserRegistry, "grpc", server.adminKey).list({}));
    expect(grpc.code).toBe(Code.Unavailable);

    const res = await login(server, "admin-user", "whatever-Passw0rd");
    expect(res.status).toBe(503);
    expect(res.body.details[0].name).toBe("database_unavailable");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);

    relay.down = false;
    // The pool replaces its broken connections on the next calls.
    await expect.poll(async () => (await registry.list({}).then(() => true, () => false)), { timeout: 10_000 }).toBe(true);
  });
});
