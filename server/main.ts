// `npm start`: read the environment once, serve every protocol on one port, stop cleanly on SIGTERM/SIGINT
// (a second one forces the exit).
import cluster from "node:cluster";
import path from "node:path";
import v8 from "node:v8";
import { ConfigError, loadConfig } from "./config.js";
import { startPasswordHasher } from "./domain/password-hash.js";
import { createLogger } from "./logger.js";
import { startServer } from "./app.js";
import { describeStartupError } from "./startup-errors.js";
import { serverUrls } from "./transport/front-door.js";
import { superviseWorkers } from "./workers.js";

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`configuration error: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
const logger = createLogger(config.logLevel);
// WebAssembly (Prisma's query compiler; embedded PGlite) runs on V8's baseline tier only. The optimising tier
// recompiled hot functions into 40 MB (PostgreSQL) to 90 MB (embedded) more resident memory; without it the
// benchmark's throughput did not change, and only an embedded search one call at a time took about 20 % longer.
v8.setFlagsFromString("--liftoff-only");
// After each full collection the old generation may grow 30 % past what survived before the next one, not V8's
// dynamic factor (up to 4×): under 64 concurrent calls that factor let short-lived garbage fill 100–150 MB before it
// was collected. In an interleaved A/B the CPU per call did not change; the peak went from 285–360 to 230 MB.
v8.setFlagsFromString("--heap-growing-percent=30");
if (config.workers > 1 && cluster.isPrimary) await superviseWorkers(config, logger); // the workers run what follows
const started = performance.now();
let server: Awaited<ReturnType<typeof startServer>>;
try {
  server = await startServer(config, logger);
  startPasswordHasher();
} catch (err) {
  // One line naming the cause and the fix; the details an operator needs are in it, a stack trace is not.
  console.error(`cannot start: ${describeStartupError(err, config)}`);
  process.exit(1);
}
/** The database's host, port and name; never its user or password. */
function redactedDatabase(url: string): string {
  const u = new URL(url);
  return `${u.hostname}${u.port ? `:${u.port}` : ""}${u.pathname}`;
}

// Where to go next, for whoever just ran `npm start`: the console, the RPC endpoint (gRPC, gRPC-Web, Connect), the
// HTTP API, and which database holds the data.
const urls = serverUrls(config.host, server.listener.port, Boolean(config.tls));
logger.info(
  {
    port: server.listener.port,
    host: config.host,
    console: urls.console,
    rpc: urls.rpc,
    httpApi: urls.httpApi,
    database: config.databaseUrl ? `postgresql (${redactedDatabase(config.databaseUrl)})` : `embedded (${path.resolve(config.dataDir)})`,
    mail: config.smtpUrl ? "smtp" : `files (${config.dataDir}/mail)`,
    startupMs: Math.round(performance.now() - started),
  },
  "identity server listening",
);

// A second signal (a second Ctrl-C, or a supervisor that has waited long enough) ends the process at once,
// without waiting for the rest of the shutdown.
let stopping = false;
// A worker stops when its primary says so (SIGTERM); a terminal's Ctrl-C reaches it too, and is the primary's to handle.
if (cluster.isWorker) process.on("SIGINT", () => {});
for (const signal of cluster.isWorker ? (["SIGTERM"] as const) : (["SIGTERM", "SIGINT"] as const)) {
  process.on(signal, () => {
    if (stopping) {
      logger.error({ signal }, "second signal during shutdown, exiting without finishing it");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    server.close().then(
      () => process.exit(0),
      (err) => { logger.error({ err }, "shutdown failed"); process.exit(1); },
    );
  });
}
