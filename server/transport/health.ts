// Liveness: the process is up and its event loop answers.
import type { HttpRoute } from "./http-route.js";

export const healthRoute: HttpRoute = (req, res) => {
  if (req.url !== "/healthz" || (req.method !== "GET" && req.method !== "HEAD")) return false;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ status: "ok" }));
  return true;
};
