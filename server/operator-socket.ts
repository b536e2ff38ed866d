// Operator commands while the server runs on the embedded database. That database belongs to one process, so the
// CLI cannot open it next to the server; instead the server listens on a Unix socket in DATA_DIR (owner-only, like
// the database files beside it: whoever may use it could read those anyway) and runs the command itself, on its
// own connection. One JSON line each way: `{"argv": [...]}`, then `{"code": 0, "stdout": "...", "stderr": "..."}`.
import { chmodSync, existsSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import { runOperatorCommand } from "./operator-commands.js";
import type { Database } from "./store/database.js";
import { migrate } from "./store/migrate.js";

const MAX_REQUEST_BYTES = 64 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;

const operatorSocketPath = (dataDir: string): string => path.join(path.resolve(dataDir), "operator.sock");

export interface OperatorReply {
  code: number;
  stdout: string;
  stderr: string;
}

/** Serves operator commands on DATA_DIR/operator.sock until closed. Commands run one at a time, as from a shell. */
export async function serveOperatorSocket(config: Config, database: Database, logger: Logger): Promise<{ close(): Promise<void> }> {
  const file = operatorSocketPath(config.dataDir);
  rmSync(file, { force: true }); // left by a process that died: we hold the data directory's lock
  let queue = Promise.resolve();
  const server = net.createServer((socket) => {
    let input = "";
    socket.setEncoding("utf8");
    socket.on("error", () => socket.destroy());
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => { if (!input.includes("\n")) socket.destroy(); }); // a command line comes at once
    socket.on("data", (chunk: string) => {
      input += chunk;
      if (input.length > MAX_REQUEST_BYTES) return socket.destroy();
      const end = input.indexOf("\n");
      if (end < 0) return;
      socket.removeAllListeners("data");
      let argv: unknown;
      try {
        argv = (JSON.parse(input.slice(0, end)) as { argv?: unknown }).argv;
      } catch {
        argv = undefined;
      }
      if (!Array.isArray(argv) || !argv.every((a) => typeof a === "string")) return socket.destroy();
      queue = queue.then(async () => {
        const stdout: string[] = [];
        const stderr: string[] = [];
        // The server migrated when it started: whatever this finds pending came with a newer release.
        const ctx = { config, withDatabase: <T>(work: (db: Database) => Promise<T>) => work(database), migrate: () => migrate(database) };
        const code = await runOperatorCommand(argv, ctx, { out: (l) => stdout.push(l), err: (l) => stderr.push(l) });
        // The command and its outcome, never its arguments (passwords) or output (keys).
        logger.info({ command: argv[0], exitCode: code }, "operator command");
        const join = (lines: string[]) => lines.map((l) => `${l}\n`).join("");
        socket.end(`${JSON.stringify({ code, stdout: join(stdout), stderr: join(stderr) } satisfies OperatorReply)}\n`);
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(file, () => { server.off("error", reject); resolve(); });
  });
  chmodSync(file, 0o600);
  return {
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      rmSync(file, { force: true });
    }),
  };
}

/**
 * Sends a command line to the server that owns DATA_DIR's embedded database; undefined when no server answers
 * there (none runs, or one left a stale socket), so the caller opens the database itself.
 */
export function callOperatorSocket(dataDir: string, argv: string[]): Promise<OperatorReply | undefined> {
  const file = operatorSocketPath(dataDir);
  if (!existsSync(file)) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    let output = "";
    let connected = false;
    const socket = net.connect(file, () => {
      connected = true;
      socket.write(`${JSON.stringify({ argv })}\n`); // not end(): the server answers, then closes
    });
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => { output += chunk; });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (!connected && (err.code === "ECONNREFUSED" || err.code === "ENOENT")) resolve(undefined);
      else reject(err);
    });
    socket.on("close", () => {
      if (!connected) return;
      try {
        resolve(JSON.parse(output) as OperatorReply);
      } catch {
        reject(new Error("the running server ended the operator command without an answer (see its log)"));
      }
    });
  });
}
