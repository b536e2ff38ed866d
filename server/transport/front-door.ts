// The server's root: a browser that opens http://host:port/ is sent to the console. Everything else on `/` (a
// POST, say) is left to the other routes, which answer it as they would any unknown path.
import { CONSOLE_PREFIX } from "./console.js";
import type { HttpRoute } from "./http-route.js";

export const frontDoorRoute: HttpRoute = (req, res) => {
  if ((req.method !== "GET" && req.method !== "HEAD") || (req.url !== "/" && !req.url?.startsWith("/?"))) return false;
  res.writeHead(302, { location: `${CONSOLE_PREFIX}/`, "cache-control": "no-store", "content-length": "0" });
  res.end();
  return true;
};

/** Where to reach the server, for the start-up log: the listening address, or localhost when it is every interface. */
export function serverUrls(host: string, port: number, tls: boolean): { console: string; rpc: string; httpApi: string } {
  const name = host === "0.0.0.0" || host === "::" || host === "" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  const base = `${tls ? "https" : "http"}://${name}:${port}`;
  return { console: `${base}${CONSOLE_PREFIX}/`, rpc: base, httpApi: `${base}/api/v3` };
}
