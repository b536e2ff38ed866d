// Liveness (/healthz): the process is up and its event loop answers. Readiness (/readyz): it should get
// traffic, i.e. what it depends on answers (server/ops/readiness.ts); 503 with the reasons otherwise.
import type { Readiness } from "../ops/readiness.js";
import type { HttpRoute } from "./http-route.js";

const isProbe = (method: string | undefined) => method === "GET" || method === "HEAD";

export const healthRoute: HttpRoute = (req, res) => {
  if (req.url !== "/healthz" || !isProbe(req.method)) return false;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ status: "ok" }));
  return true;
};

export function readinessRoute(check: () => Promise<Readiness>): HttpRoute {
  return (req, res) => {
    if (req.url !== "/readyz" || !isProbe(req.method)) return false;
    void check().then((readiness) => {
      res.statusCode = readiness.ready ? 200 : 503;
      res.setHeader("content-type", "application/json");
      res.setHeader("cache-control", "no-store");
      res.end(JSON.stringify({ status: readiness.ready ? "ready" : "unready", checks: readiness.checks }));
    });
    return true;
  };
}
