// The HTTP API knows no service of its own: a service it has never seen, declared here with google.api.http
// options (a main rule and additional_bindings, a nested path field, a named body field, a response_body), is
// served from those options alone, through a Connect router, over a real socket, and described in the OpenAPI.
import { create, createFileRegistry, setExtension, type DescService } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema, MethodOptionsSchema, type MethodOptions } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createConnectRouter } from "@connectrpc/connect";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anyTypes } from "../../client/any-types.js";
import { http as httpOption } from "../../gen/google/api/annotations_pb.js";
import { HttpRuleSchema, type HttpRule } from "../../gen/google/api/http_pb.js";
import { createLogger } from "../../server/logger.js";
import { httpApiRoute } from "../../server/transport/http-api/route.js";

const { STRING: TYPE_STRING, MESSAGE: TYPE_MESSAGE } = FieldDescriptorProto_Type;
const OPTIONAL = FieldDescriptorProto_Label.OPTIONAL;

function rule(init: Parameters<typeof create<typeof HttpRuleSchema>>[1]): MethodOptions {
  const options = create(MethodOptionsSchema);
  setExtension(options, httpOption, create(HttpRuleSchema, init) as HttpRule);
  return options;
}

/** `example.v1.Greeter`: Greet by name (GET with the name in the path, or POST with the whole request as body) and Rename (PATCH, body one field, the answer one field). */
function greeterService(): DescService {
  const file = create(FileDescriptorProtoSchema, {
    name: "example/v1/greeter.proto",
    package: "example.v1",
    syntax: "proto3",
    messageType: [
      { name: "Ids", field: [{ name: "name", number: 1, type: TYPE_STRING, label: OPTIONAL, jsonName: "name" }] },
      {
        name: "GreetRequest",
        field: [
          { name: "ids", number: 1, type: TYPE_MESSAGE, typeName: ".example.v1.Ids", label: OPTIONAL, jsonName: "ids" },
          { name: "greeting", number: 2, type: TYPE_STRING, label: OPTIONAL, jsonName: "greeting" },
        ],
      },
      { name: "Greeting", field: [{ name: "text", number: 1, type: TYPE_STRING, label: OPTIONAL, jsonName: "text" }] },
      {
        name: "RenameRequest",
        field: [
          { name: "ids", number: 1, type: TYPE_MESSAGE, typeName: ".example.v1.Ids", label: OPTIONAL, jsonName: "ids" },
          { name: "to", number: 2, type: TYPE_MESSAGE, typeName: ".example.v1.Ids", label: OPTIONAL, jsonName: "to" },
        ],
      },
      { name: "RenameResponse", field: [{ name: "now", number: 1, type: TYPE_MESSAGE, typeName: ".example.v1.Ids", label: OPTIONAL, jsonName: "now" }] },
    ],
    service: [{
      name: "Greeter",
      method: [
        {
          name: "Greet", inputType: ".example.v1.GreetRequest", outputType: ".example.v1.Greeting",
          options: rule({ pattern: { case: "get", value: "/greeters/{ids.name}" }, additionalBindings: [create(HttpRuleSchema, { pattern: { case: "post", value: "/greet" }, body: "*" })] }),
        },
        {
          name: "Rename", inputType: ".example.v1.RenameRequest", outputType: ".example.v1.RenameResponse",
          options: rule({ pattern: { case: "patch", value: "/greeters/{ids.name}/name" }, body: "to", responseBody: "now" }),
        },
      ],
    }],
  });
  return createFileRegistry(file, () => undefined).getService("example.v1.Greeter")!;
}

describe("an RPC the HTTP API has never seen, served from its google.api.http options alone", () => {
  const greeter = greeterService();
  let server: http.Server;
  let base = "";

  beforeAll(async () => {
    const router = createConnectRouter().service(greeter, {
      greet(req: any) {
        if (req.ids?.name === "nobody") throw new ConnectError("no such greeter", Code.NotFound);
        return { text: `${req.greeting || "Hello"}, ${req.ids?.name}` };
      },
      rename(req: any) {
        return { now: { name: `${req.ids?.name}->${req.to?.name}` } };
      },
    } as never);
    const route = httpApiRoute({ prefix: "/api/v3", handlers: router.handlers, readMaxBytes: 1024, registry: anyTypes, logger: createLogger("silent") });
    server = http.createServer((req, res) => {
      if (!route(req, res)) res.writeHead(418).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`;
  });
  afterAll(async () => { await new Promise((resolve) => server.close(resolve)); });

  it("serves the main rule: a nested field from the path, another from the query", async () => {
    const res = await fetch(`${base}/greeters/ada?greeting=Hi`);
    expect([res.status, await res.json()]).toEqual([200, { text: "Hi, ada" }]);
  });

  it("serves the additional binding: the whole request as the body", async () => {
    const res = await fetch(`${base}/greet`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ids: { name: "bob" }, greeting: "Hey" }) });
    expect([res.status, await res.json()]).toEqual([200, { text: "Hey, bob" }]);
  });

  it("reads a named body field and answers the response_body field alone", async () => {
    const res = await fetch(`${base}/greeters/ada/name`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "lovelace" }) });
    expect([res.status, await res.json()]).toEqual([200, { name: "ada->lovelace" }]);
  });

  it("answers the handler's errors in grpc-gateway's shape, and routes it lacks with 404 and 405", async () => {
    const missing = await fetch(`${base}/greeters/nobody`);
    expect([missing.status, await missing.json()]).toEqual([404, { code: Code.NotFound, message: "no such greeter" }]);
    const wrongMethod = await fetch(`${base}/greet`);
    expect([wrongMethod.status, wrongMethod.headers.get("allow")]).toEqual([405, "POST"]);
    expect((await fetch(`${base}/greeters`)).status).toBe(404);
    expect((await fetch(`${base.replace("/api/v3", "")}/elsewhere`)).status).toBe(418); // outside the prefix: not the API's
  });

  it("describes every binding in the OpenAPI document", async () => {
    const doc: any = await (await fetch(`${base}/openapi.json`)).json();
    const operations = Object.entries(doc.paths as Record<string, Record<string, any>>)
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`));
    expect(operations.sort()).toEqual([
      "GET /greeters/{ids.name} Greeter_Greet",
      "PATCH /greeters/{ids.name}/name Greeter_Rename",
      "POST /greet Greeter_Greet2",
    ].sort());
  });
});
