// An independent client: @grpc/grpc-js with @grpc/proto-loader reading the .proto sources, as grpc-js clients of
// upstream do, over plain HTTP/2. Nothing here shares code with the Connect stack but the server.
import { fileURLToPath } from "node:url";
import { fromBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorDetailsSchema, type ErrorDetails } from "../../gen/ttn/lorawan/v3/error_pb.js";
import { databaseBackends, startTestServer, type TestServer } from "../support/server.js";
import { USER_PASSWORD } from "../support/users.js";

const protoRoot = fileURLToPath(new URL("../../proto", import.meta.url));
const definition = loadSync(["ttn/lorawan/v3/user_services.proto", "ttn/lorawan/v3/identityserver.proto"], {
  includeDirs: [protoRoot, `${protoRoot}/third_party`], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const v3 = (grpc.loadPackageDefinition(definition) as any).ttn.lorawan.v3;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One unary call; resolves with the response and the response headers. */
function unary(client: grpc.Client, method: string, request: Json, token?: string): Promise<{ response: Json; headers: grpc.Metadata }> {
  const metadata = new grpc.Metadata();
  if (token) metadata.set("authorization", `Bearer ${token}`);
  return new Promise((resolve, reject) => {
    let headers = new grpc.Metadata();
    const call = (client as unknown as Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>)[method]!.call(client, request, metadata,
      (err: grpc.ServiceError | null, response: Json) => (err ? reject(err) : resolve({ response, headers })));
    call.on("metadata", (m: grpc.Metadata) => { headers = m; });
  });
}

async function failure(call: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await call;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** google.rpc.Status is not vendored: read its `details` (field 3, repeated Any) by hand and decode ErrorDetails. */
function errorDetails(err: grpc.ServiceError): { code: number; details: ErrorDetails[] } {
  const [bin] = err.metadata.get("grpc-status-details-bin");
  expect(bin).toBeInstanceOf(Buffer);
  const reader = new BinaryReader(new Uint8Array(bin as Buffer));
  let code = 0;
  const details: ErrorDetails[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) code = reader.int32();
    else if (field === 3) {
      const any = fromBinary(AnySchema, reader.bytes());
      expect(any.typeUrl).toBe("type.googleapis.com/ttn.lorawan.v3.ErrorDetails");
      details.push(fromBinary(ErrorDetailsSchema, any.value));
    } else reader.skip(wireType);
  }
  return { code, details };
}

for (const backend of databaseBackends()) {
  describe(`grpc-js client on ${backend.name}`, () => {
    let server: TestServer;
    let registry: grpc.Client;
    let entityAccess: grpc.Client;
    beforeAll(async () => {
      server = await startTestServer(backend);
      const address = `127.0.0.1:${server.port}`;
      registry = new v3.UserRegistry(address, grpc.credentials.createInsecure());
      entityAccess = new v3.EntityAccess(address, grpc.credentials.createInsecure());
    });
    afterAll(async () => {
      registry?.close();
      entityAccess?.close();
      await server?.close();
    });

    it("registers a user anonymously and reads it back with the admin key", async () => {
      const { response: created } = await unary(registry, "Create", {
        user: { ids: { user_id: "grpc-user" }, primary_email_address: "grpc-user@example.com", password: USER_PASSWORD, name: "Grpc User" },
      });
      expect(created.ids.user_id).toBe("grpc-user");
      expect(created.state).toBe("STATE_APPROVED");
      expect(created.password).toBe("");

      const { response: got } = await unary(registry, "Get", {
        user_ids: { user_id: "grpc-user" }, field_mask: { paths: ["name", "primary_email_address", "state", "admin"] },
      }, server.adminKey);
      expect(got).toMatchObject({ ids: { user_id: "grpc-user" }, name: "Grpc User", primary_email_address: "grpc-user@example.com", state: "STATE_APPROVED", admin: false });
    });

    it("lists users with x-total-count in the response metadata", async () => {
      const { response, headers } = await unary(registry, "List", { field_mask: { paths: ["name"] }, order: "user_id", limit: 1 }, server.adminKey);
      expect(response.users).toHaveLength(1);
      expect(response.users[0].ids.user_id).toBe("admin-user");
      expect(headers.get("x-total-count")).toEqual(["2"]);
    });

    it("reports errors with their gRPC code and ttn.lorawan.v3.ErrorDetails in grpc-status-details-bin", async () => {
      const notFound = await failure(unary(registry, "Get", { user_ids: { user_id: "nobody-here" }, field_mask: { paths: ["name"] } }, server.adminKey));
      expect(notFound.code).toBe(grpc.status.NOT_FOUND);
      expect(notFound.details).toContain("error:pkg/identityserver/store:user_not_found");
      const status = errorDetails(notFound);
      expect(status.code).toBe(grpc.status.NOT_FOUND);
      expect(status.details).toHaveLength(1);
      expect(status.details[0]).toMatchObject({ namespace: "pkg/identityserver/store", name: "user_not_found", code: grpc.status.NOT_FOUND });
      expect(status.details[0]!.attributes).toMatchObject({ user_id: "nobody-here" });

      const denied = await failure(unary(registry, "List", {}));
      expect(denied.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(errorDetails(denied).details[0]).toMatchObject({ namespace: "pkg/identityserver", name: "permission_denied" });
    });

    it("describes the caller with AuthInfo", async () => {
      const { response: anonymous } = await unary(entityAccess, "AuthInfo", {});
      expect(anonymous.is_admin).toBe(false);
      expect(anonymous.access_method).toBeUndefined();

      const { response: admin } = await unary(entityAccess, "AuthInfo", {}, server.adminKey);
      expect(admin.is_admin).toBe(true);
      expect(admin.access_method).toBe("api_key");
      expect(admin.api_key.entity_ids.user_ids.user_id).toBe("admin-user");
      expect(admin.api_key.api_key.key).toBe("");
      expect(admin.universal_rights.rights).toContain("RIGHT_USER_INFO");
      expect(admin.universal_rights.rights).not.toContain("RIGHT_ALL");
    });
  });
}
