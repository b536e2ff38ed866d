// What went wrong at start-up, in one line that names the cause and the fix: an operator reads this on a
// console, so no stack trace, and never a secret (DATABASE_URL is shown without its user info).
import type { Config } from "./config.js";
import { classifyDatabaseError, databaseErrorDetails } from "./store/db-errors.js";
import { DataDirLockedError } from "./store/data-dir-lock.js";

/** Where DATABASE_URL points, for messages: host, port and database name only. */
function databaseWhere(url: string | undefined): { host: string; database: string } {
  try {
    const u = new URL(url ?? "");
    return { host: `${u.hostname || "localhost"}:${u.port || "5432"}`, database: decodeURIComponent(u.pathname.replace(/^\//, "")) || "(default)" };
  } catch {
    return { host: "(unparsable)", database: "(unparsable)" };
  }
}

export function describeStartupError(err: unknown, config: Pick<Config, "host" | "port" | "databaseUrl" | "dataDir" | "tls">): string {
  if (err instanceof DataDirLockedError) return err.message;
  const e = err as NodeJS.ErrnoException & { syscall?: string; path?: string };
  const code = typeof e?.code === "string" ? e.code : undefined;

  if (e?.syscall === "listen" || e?.syscall === "bind") {
    if (code === "EADDRINUSE") return `port ${config.port} on ${config.host} is already in use: stop the other process or set PORT to a free port`;
    if (code === "EACCES") return `not allowed to listen on port ${config.port}: choose a PORT above 1023 or run with the permission to bind it`;
    if (code === "EADDRNOTAVAIL") return `HOST ${config.host} is not an address of this machine: set HOST to one of its addresses (or 0.0.0.0)`;
  }

  if (config.tls && typeof e?.path === "string" && (e.path === config.tls.certFile || e.path === config.tls.keyFile)) {
    const variable = e.path === config.tls.certFile ? "TLS_CERT_FILE" : "TLS_KEY_FILE";
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e.message ?? code);
    return `cannot read ${variable} (${e.path}): ${why}: point it at a readable PEM file`;
  }
  if (config.tls && (code?.startsWith("ERR_OSSL") || /PEM|X509|key values mismatch/i.test(e?.message ?? ""))) {
    return `TLS_CERT_FILE and TLS_KEY_FILE do not hold a matching PEM certificate and private key (${firstLine(e.message)}): check both files`;
  }

  if (config.databaseUrl) {
    const { host, database } = databaseWhere(config.databaseUrl);
    const details = databaseErrorDetails(err);
    if (details.sqlState === "3D000") {
      return `database "${database}" in DATABASE_URL does not exist on ${host}: create it (e.g. createdb ${database}) or correct DATABASE_URL`;
    }
    if (details.sqlState === "28P01" || details.sqlState === "28000") {
      return `PostgreSQL at ${host} refused the user or password in DATABASE_URL: correct them (or the server's pg_hba.conf)`;
    }
    if (classifyDatabaseError(err) === "unavailable") {
      return `cannot reach PostgreSQL at ${host} (${details.socketCode ?? details.sqlState ?? firstLine(details.message)}): start it or correct DATABASE_URL`;
    }
  } else if (code === "EACCES" || code === "EROFS" || code === "ENOSPC") {
    return `cannot write the embedded database under DATA_DIR (${config.dataDir}): ${code}: make it writable or set DATA_DIR elsewhere`;
  }
  return `start-up failed: ${firstLine(e?.message ?? String(err))}`;
}

const firstLine = (text: string | undefined) => (text ?? "").split("\n").map((l) => l.trim()).find(Boolean)?.slice(0, 300) ?? "unknown error";
