// The console's static files under /console/: content types, caching, the single-page-app fallback, and no
// way out of the build directory; the e-mailed account-page links redirect into the console.
import http from "node:http";
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_DIR } from "../server/transport/console.js";
import { databaseBackends, startTestServer, type TestServer } from "./support/server.js";

/** A raw GET, so paths reach the server exactly as written (fetch would normalize `..`). */
function get(server: TestServer, rawPath: string, method = "GET"): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http.request({ host: "127.0.0.1", port: server.port, path: rawPath, method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => { body += c; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on("error", reject).end();
  });
}

describe("console static files", () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(databaseBackends()[0]!); });
  afterAll(async () => { await server?.close(); });

  it("serves index.html at /console/ and redirects /console there", async () => {
    const redirect = await get(server, "/console?transport=grpc-web");
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe("/console/?transport=grpc-web");
    const index = await get(server, "/console/");
    expect(index.status).toBe(200);
    expect(index.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(index.headers["cache-control"]).toBe("no-cache");
    expect(index.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(index.body).toContain('<div id="app"');
  });

  it("serves hashed assets with their content type and a long cache", async () => {
    const assets = readdirSync(path.join(CONSOLE_DIR, "assets"));
    const js = assets.find((f) => f.endsWith(".js"))!;
    const css = assets.find((f) => f.endsWith(".css"))!;
    const script = await get(server, `/console/assets/${js}`);
    expect(script.status).toBe(200);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.headers["cache-control"]).toContain("immutable");
    expect((await get(server, `/console/assets/${css}`)).headers["content-type"]).toBe("text/css; charset=utf-8");
  });

  it("answers app routes with index.html and missing files with 404", async () => {
    const route = await get(server, "/console/admin/users");
    expect(route.status).toBe(200);
    expect(route.body).toContain('<div id="app"');
    expect((await get(server, "/console/assets/missing.js")).status).toBe(404);
  });

  it("redirects the account pages of e-mailed links to the console, keeping the query and no trace of it", async () => {
    const cases = [
      ["/oauth/token-login?token=ABC%2BDEF", "/console/?token=ABC%2BDEF"],
      ["/oauth/register?invitation_token=INV123", "/console/?invitation_token=INV123#/register"],
      ["/oauth/update-password?user=alice-1&current=TMP%2F456", "/console/?user=alice-1&current=TMP%2F456#/update-password"],
      ["/oauth/register", "/console/#/register"],
    ];
    for (const [from, to] of cases) {
      for (const method of ["GET", "HEAD"]) {
        const res = await get(server, from!, method);
        expect(res.status, `${method} ${from}`).toBe(302);
        expect(res.headers.location).toBe(to);
        expect(res.headers["cache-control"]).toBe("no-store");
        expect(res.headers["referrer-policy"]).toBe("no-referrer");
        expect(res.body).toBe("");
      }
    }
    expect((await get(server, "/oauth/register?invitation_token=x", "POST")).status).toBe(405);
    expect((await get(server, "/oauth/register/x")).status).not.toBe(302); // only the exact paths
  });

  it("never serves files outside the build", async () => {
    for (const p of ["/console/../package.json", "/console/%2e%2e/package.json", "/console/..%2fpackage.json", "/console/%2e%2e%2f%2e%2e%2fpackage.json"]) {
      const res = await get(server, p);
      expect(res.body, p).not.toContain('"name": "ttn-identity"');
      expect([200, 404]).toContain(res.status);
    }
  });
});
