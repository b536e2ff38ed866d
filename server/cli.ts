// `npm run cli -- <command>`: the operator's tool (commands: operator-commands.ts). It works on the configured
// database directly (same environment as the server), so it works before any user or key exists. While a server
// runs on the embedded database, which admits one process, the command runs inside that server instead, through
// DATA_DIR/operator.sock (operator-socket.ts); PostgreSQL takes both at once.
import { ConfigError, loadConfig, type Config } from "./config.js";
import { directContext, runOperatorCommand, type OperatorIo } from "./operator-commands.js";
import { callOperatorSocket, type OperatorReply } from "./operator-socket.js";
import { dataDirHolder } from "./store/data-dir-lock.js";

const STARTING_SERVER_WAIT_MS = 60_000;
const io: OperatorIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

/**
 * The reply of the server that owns the embedded database, if one runs. A server still starting holds the lock
 * before it listens on the socket: wait for it (`npm start &` then a command at once is a normal first step).
 */
async function viaRunningServer(dataDir: string, argv: string[]): Promise<OperatorReply | undefined> {
  const deadline = Date.now() + STARTING_SERVER_WAIT_MS;
  let told = false;
  for (;;) {
    const reply = await callOperatorSocket(dataDir, argv);
    if (reply) return reply;
    const holder = dataDirHolder(dataDir);
    if (!holder || Date.now() > deadline) return undefined; // no server: open the database here (or report the lock)
    if (!told) console.error(`waiting for the server starting on ${dataDir} (process ${holder}) to take operator commands…`);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function main(argv: string[]): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`configuration error: ${err.message}`);
    return 1;
  }
  const wantsHelp = argv.length === 0 || argv.some((a) => a === "--help" || a === "-h" || a === "help");
  if (!config.databaseUrl && !wantsHelp) {
    const reply = await viaRunningServer(config.dataDir, argv).catch((err: Error) => {
      console.error(`error: ${err.message}`);
      return { code: 1, stdout: "", stderr: "" };
    });
    if (reply) {
      process.stdout.write(reply.stdout);
      process.stderr.write(reply.stderr);
      return reply.code;
    }
  }
  return runOperatorCommand(argv, directContext(config), io);
}

// Exit explicitly (once the output is flushed): database drivers may keep timers alive after close.
const code = await main(process.argv.slice(2));
process.stdout.write("", () => process.exit(code));
