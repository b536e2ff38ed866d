// With TLS_CERT_FILE/TLS_KEY_FILE the same port serves gRPC over h2 and Connect/gRPC-Web over HTTP/1.1 (ALPN).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntityAccess } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { databaseBackends, startTestServer, type TestServer } from "../support/server.js";

describe("TLS", () => {
  let dir: string;
  let server: TestServer;
  let ca: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "ttnid-tls-"));
    const cert = path.join(dir, "cert.pem");
    const key = path.join(dir, "key.pem");
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
      "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert,
    ], { stdio: "ignore" });
    ca = readFileSync(cert);
    server = await startTestServer(databaseBackends()[0]!, { TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const baseUrl = () => `https://localhost:${server.port}`;
  const auth = () => ({ headers: { authorization: `Bearer ${server.adminKey}` } });

  it("serves gRPC over HTTP/2 with TLS", async () => {
    const client = createClient(EntityAccess, createGrpcTransport({ baseUrl: baseUrl(), nodeOptions: { ca } }));
    expect((await client.authInfo({}, auth())).isAdmin).toBe(true);
  });

  it("serves Connect and gRPC-Web over HTTP/1.1 with TLS", async () => {
    for (const transport of [createConnectTransport, createGrpcWebTransport]) {
      const client = createClient(EntityAccess, transport({ baseUrl: baseUrl(), httpVersion: "1.1", nodeOptions: { ca } }));
      expect((await client.authInfo({}, auth())).isAdmin).toBe(true);
    }
  });

  it("refuses clients that do not trust the certificate, without crashing", async () => {
    const client = createClient(EntityAccess, createGrpcTransport({ baseUrl: baseUrl() }));
    await expect(client.authInfo({})).rejects.toThrow();
    const trusted = createClient(EntityAccess, createGrpcTransport({ baseUrl: baseUrl(), nodeOptions: { ca } }));
    expect((await trusted.authInfo({}, auth())).isAdmin).toBe(true);
  });
});
