// The web console's static files (web/dist, built by `npm run build:console`) under /console/, with the
// single-page-app fallback: any path without a file extension gets index.html, so deep links and reloads work.
// Also the account-app pages the server's e-mails link to (upstream's paths), redirected to the console's pages.
import { readFile, stat } from "node:fs/promises";
import type http from "node:http";
import type http2 from "node:http2";
import path from "node:path";
import { fileURLToPath } from "node:url";

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

const CONSOLE_PREFIX = "/console";
export const CONSOLE_DIR = fileURLToPath(new URL("../../web/dist/", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

// The console only talks to its own origin; no inline scripts, no framing (clickjacking).
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'self'; img-src 'self' data: https:; style-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
};

/**
 * The account-app pages of upstream's e-mail links (login token, invitation, temporary password), mapped to the
 * console route that handles them; the query (which carries the secret) is kept.
 */
const ACCOUNT_PAGES: Readonly<Record<string, string>> = {
  "/oauth/token-login": "",
  "/oauth/register": "#/register",
  "/oauth/update-password": "#/update-password",
};

/** Answers requests under /console and the account pages of ACCOUNT_PAGES and returns true; false for every other request. */
export function serveConsole(req: Req, res: Res, dir: string = CONSOLE_DIR): boolean {
  const url = req.url ?? "/";
  const queryAt = url.indexOf("?");
  const page = queryAt < 0 ? url : url.slice(0, queryAt);
  if (Object.hasOwn(ACCOUNT_PAGES, page)) {
    redirectAccountPage(req, res, queryAt < 0 ? "" : url.slice(queryAt), ACCOUNT_PAGES[page]!);
    return true;
  }
  if (url !== CONSOLE_PREFIX && !url.startsWith(`${CONSOLE_PREFIX}/`) && !url.startsWith(`${CONSOLE_PREFIX}?`)) return false;
  if (req.method !== "GET" && req.method !== "HEAD") {
    send(res, 405, "text/plain; charset=utf-8", "method not allowed", { allow: "GET, HEAD" });
    return true;
  }
  const { pathname, search } = new URL(url, "http://console");
  if (pathname === CONSOLE_PREFIX) {
    send(res, 301, "text/plain; charset=utf-8", "", { location: `${CONSOLE_PREFIX}/${search}` });
    return true;
  }
  if (!pathname.startsWith(`${CONSOLE_PREFIX}/`)) {
    send(res, 404, "text/plain; charset=utf-8", "not found"); // `/console/../x` resolved outside the console
    return true;
  }
  respond(req, res, dir, pathname.slice(CONSOLE_PREFIX.length + 1)).catch(() => {
    if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", "internal error");
  });
  return true;
}

function redirectAccountPage(req: Req, res: Res, query: string, route: string): void {
  if (req.method !== "GET" && req.method !== "HEAD") {
    send(res, 405, "text/plain; charset=utf-8", "method not allowed", { allow: "GET, HEAD" });
    return;
  }
  // The URL carries a secret: neither caches nor the Referer header of the next request may keep it.
  send(res, 302, "text/plain; charset=utf-8", "", {
    location: `${CONSOLE_PREFIX}/${query}${route}`,
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
  });
}

async function respond(req: Req, res: Res, dir: string, relative: string): Promise<void> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return send(res, 400, "text/plain; charset=utf-8", "bad path");
  }
  const file = path.resolve(dir, decoded || "index.html");
  if (file !== dir && !file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep)) return send(res, 404, "text/plain; charset=utf-8", "not found");
  const ext = path.extname(file);
  if (await isFile(file)) return sendFile(req, res, file, ext);
  // A missing asset is a 404; anything else is a route of the app.
  if (ext && ext !== ".html") return send(res, 404, "text/plain; charset=utf-8", "not found");
  const index = path.join(dir, "index.html");
  if (await isFile(index)) return sendFile(req, res, index, ".html");
  send(res, 503, "text/plain; charset=utf-8", "The console is not built: run `npm run build:console`.");
}

async function sendFile(req: Req, res: Res, file: string, ext: string): Promise<void> {
  const body = await readFile(file);
  // Vite puts content hashes in asset names, so those never change; index.html must always be revalidated.
  const hashed = file.includes(`${path.sep}assets${path.sep}`);
  send(res, 200, CONTENT_TYPES[ext] ?? "application/octet-stream", req.method === "HEAD" ? "" : body, {
    "cache-control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
    "content-length": String(body.length),
  });
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function send(res: Res, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  for (const [k, v] of Object.entries({ ...SECURITY_HEADERS, "content-type": contentType, ...headers })) res.setHeader(k, v);
  res.end(body);
}
