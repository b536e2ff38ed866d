// What a database failure means for the caller, whichever way it reached us: a Prisma error (wrapping the driver
// adapter's), a raw `pg` error, or a Node socket error. Used where errors become responses and start-up messages.

/** SQLSTATE classes and codes of a server that cannot serve now (upstream maps these to database_unavailable). */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300", "53400"]);
/** Values the database refused, which only client input can carry this far (a NUL byte, an oversized index key, …). */
const REJECTED_VALUE_SQLSTATES = new Set(["22021", "22P05", "54000", "22001", "22003", "22007", "22008", "22P02"]);
/**
 * Prisma's codes for an unreachable, vanished or exhausted database; P2028 is a transaction that could not start
 * or finish in time (all connections busy): overload, which a retry later resolves.
 */
const UNAVAILABLE_PRISMA = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028"]);
const UNAVAILABLE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections", "TransactionAlreadyClosed"]);
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE"]);
/** Messages of `pg` and PGlite when a connection is gone (they carry no code). */
const GONE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|PGlite is closed|Client was closed/i;

interface Details {
  sqlState?: string;
  kind?: string;
  prismaCode?: string;
  socketCode?: string;
  message: string;
}

/** Digs the driver's details out of whatever wraps them. */
export function databaseErrorDetails(err: unknown): Details {
  const e = err as {
    code?: unknown; message?: unknown; kind?: unknown;
    cause?: { code?: unknown; originalCode?: unknown; kind?: unknown; message?: unknown };
    meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown; kind?: unknown } } };
  } | undefined;
  const adapter = e?.meta?.driverAdapterError?.cause;
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const code = str(e?.code);
  const sqlState = str(adapter?.originalCode) ?? str(e?.cause?.originalCode) ?? (code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined);
  return {
    sqlState,
    kind: str(adapter?.kind) ?? str(e?.cause?.kind),
    prismaCode: code?.startsWith("P") ? code : undefined,
    socketCode: code && SOCKET_CODES.has(code) ? code : str(e?.cause?.code),
    message: str(e?.message) ?? String(err),
  };
}

/**
 * "unavailable": the database cannot be reached or is shutting down (the call may be retried);
 * "rejected_value": the database refused a value the client sent (a client error, never an internal one);
 * undefined: anything else.
 */
export function classifyDatabaseError(err: unknown): "unavailable" | "rejected_value" | undefined {
  const d = databaseErrorDetails(err);
  if (d.sqlState && REJECTED_VALUE_SQLSTATES.has(d.sqlState)) return "rejected_value";
  if (d.sqlState && (UNAVAILABLE_SQLSTATES.has(d.sqlState) || d.sqlState.startsWith("08"))) return "unavailable";
  if (d.prismaCode && UNAVAILABLE_PRISMA.has(d.prismaCode)) return "unavailable";
  if (d.kind && UNAVAILABLE_KINDS.has(d.kind)) return "unavailable";
  if (d.socketCode && SOCKET_CODES.has(d.socketCode)) return "unavailable";
  if (GONE.test(d.message)) return "unavailable";
  return undefined;
}
