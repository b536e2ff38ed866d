// kill -9 of the server process in the middle of a write load loses no write it acknowledged, on both
// databases, and the embedded database reopens cleanly after it (its lock is left by a dead process).
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import { Right } from "../../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserAccess } from "../../../gen/ttn/lorawan/v3/user_services_pb.js";
import { databaseBackends, prepareDatabase, startServerProcess, type PreparedDatabase, type ServerProcess } from "./support.js";

for (const backend of databaseBackends()) {
  describe(`kill -9 under write load on ${backend.name}`, () => {
    let db: PreparedDatabase | undefined;
    let server: ServerProcess | undefined;
    afterAll(async () => {
      await server?.stop();
      await db?.dispose();
    });

    it("keeps every acknowledged write, and the server starts again on the same data", async () => {
      db = await prepareDatabase(backend);
      server = await startServerProcess(db);
      const keys = (baseUrl: string) =>
        createClient(UserAccess, createConnectTransport({
          baseUrl, httpVersion: "1.1",
          interceptors: [(next) => (req) => { req.header.set("authorization", `Bearer ${db!.adminKey}`); return next(req); }],
        }));
      const client = keys(server.baseUrl);
      const acknowledged: string[] = [];
      let attempted = 0;
      let stop = false;
      const writer = async (w: number) => {
        for (let i = 0; !stop; i++) {
          const name = `w${w}-${i}`;
          attempted++;
          try {
            await client.createAPIKey({ userIds: { userId: "admin-user" }, rights: [Right.USER_INFO], name });
            acknowledged.push(name);
          } catch {
            return; // the server is gone
          }
        }
      };
      const writers = Array.from({ length: 8 }, (_, w) => writer(w));
      // Kill once the load is well under way.
      while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 20));
      server.child.kill("SIGKILL");
      expect(await server.exited).toBe("SIGKILL");
      stop = true;
      await Promise.all(writers);
      expect(attempted).toBeGreaterThan(acknowledged.length); // some writes were in flight when it died

      server = await startServerProcess(db);
      const stored = new Set<string>();
      const again = keys(server.baseUrl);
      for (let page = 1; ; page++) {
        const { apiKeys } = await again.listAPIKeys({ userIds: { userId: "admin-user" }, limit: 1000, page });
        for (const k of apiKeys) stored.add(k.name);
        if (apiKeys.length < 1000) break;
      }
      const lost = acknowledged.filter((name) => !stored.has(name));
      expect(lost).toEqual([]);
      // And it takes writes again.
      await again.createAPIKey({ userIds: { userId: "admin-user" }, rights: [Right.USER_INFO], name: "after-restart" });
    }, 300_000); // two server starts; slow on a busy machine
  });
}
