// WORKERS=2: one instance, two processes sharing the port. A scrape reaches one of them, and must still report
// what both have counted.
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PreparedDatabase } from "../hostile/support.js";
import { buildServer, clusterEnv, prepareClusterDatabase, sharedServices, startInstance, type Instance } from "./support.js";

/** One request on a connection of its own, so node:cluster hands each to the next worker. */
function once(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? "GET", headers: init.headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => { text += c; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

describe("metrics with WORKERS=2", { timeout: 120_000 }, () => {
  let db: PreparedDatabase;
  let instance: Instance;

  beforeAll(async () => {
    const { redisUrl } = sharedServices();
    await buildServer();
    db = await prepareClusterDatabase();
    instance = await startInstance("workers", { ...clusterEnv(db, redisUrl), WORKERS: "2" });
  }, 240_000);

  afterAll(async () => {
    await instance?.stop();
    await db?.dispose();
  });

  it("every scrape, whichever worker answers it, counts the calls both workers handled", async () => {
    const calls = 20;
    for (let i = 0; i < calls; i++) {
      const res = await once(`${instance.baseUrl}/ttn.lorawan.v3.EntityAccess/AuthInfo`, {
        method: "POST", body: "{}", headers: { "content-type": "application/json", authorization: `Bearer ${db.adminKey}` },
      });
      expect(res.status).toBe(200);
    }
    for (let scrape = 0; scrape < 4; scrape++) {
      const { status, text } = await once(`${instance.baseUrl}/metrics`);
      expect(status).toBe(200);
      const counted = /^identity_rpc_requests_total\{service="ttn\.lorawan\.v3\.EntityAccess",method="AuthInfo",protocol="connect",code="OK"\} (\d+)/m.exec(text);
      expect(Number(counted?.[1]), `scrape ${scrape}`).toBe(calls);
    }
  });
});
