// The server's root leads a browser to the console; the listening address defaults to loopback.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../server/config.js";
import { serverUrls } from "../server/transport/front-door.js";
import { databaseBackends, startTestServer, type TestServer } from "./support/server.js";

describe("front door", () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(databaseBackends()[0]!); });
  afterAll(async () => { await server?.close(); });

  it("GET / (and HEAD /, with a query too) redirects to the console, which answers", async () => {
    for (const [method, path] of [["GET", "/"], ["HEAD", "/"], ["GET", "/?from=bookmark"]] as const) {
      const res = await fetch(`${server.baseUrl}${path}`, { method, redirect: "manual" });
      expect([method, path, res.status, res.headers.get("location")]).toEqual([method, path, 302, "/console/"]);
    }
    const followed = await fetch(`${server.baseUrl}/`);
    expect([followed.status, followed.url, followed.headers.get("content-type")]).toEqual([200, `${server.baseUrl}/console/`, "text/html; charset=utf-8"]);
  });

  it("leaves other methods on / and other paths alone", async () => {
    const post = await fetch(`${server.baseUrl}/`, { method: "POST", redirect: "manual" });
    expect(post.status).not.toBe(302);
    const other = await fetch(`${server.baseUrl}/nothing-here`, { redirect: "manual" });
    expect(other.status).toBe(404);
  });
});

describe("listening address", () => {
  it("is loopback unless HOST says otherwise", () => {
    expect(loadConfig({}).host).toBe("127.0.0.1");
    expect(loadConfig({ HOST: "0.0.0.0" }).host).toBe("0.0.0.0");
  });

  it("names the URLs the start-up log prints: localhost for every interface, brackets for IPv6", () => {
    expect(serverUrls("0.0.0.0", 1885, false)).toEqual({
      console: "http://localhost:1885/console/", rpc: "http://localhost:1885", httpApi: "http://localhost:1885/api/v3",
    });
    expect(serverUrls("::1", 443, true).console).toBe("https://[::1]:443/console/");
    expect(serverUrls("127.0.0.1", 1885, false).rpc).toBe("http://127.0.0.1:1885");
  });
});
