// `npm run cli -- <command>`: the operator's tool (commands: operator-commands.ts). It works on the configured
// database directly (same environment as the server), so it works before any user or key exists. While a server
// runs on the embedded database, which admits one process, the command runs inside that server instead, through
// DATA_DIR/operator.sock (operator-socket.ts); PostgreSQL takes both at once.
import { ConfigError, loadConfig, type Config } from "./config.js";
import { runOperatorCommand, type OperatorIo } from "./operator-commands.js";
import { callOperatorSocket } from "./operator-socket.js";
import { openDatabase, type Database } from "./store/database.js";
import { migrate } from "./store/migrate.js";

const io: OperatorIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

async function withDatabase<T>(config: Config, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(db);
    return await work(db);
  } finally {
    await db.close();
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
    const reply = await callOperatorSocket(config.dataDir, argv).catch((err: Error) => {
      console.error(`error: ${err.message}`);
      return { code: 1, stdout: "", stderr: "" };
    });
    if (reply) {
      process.stdout.write(reply.stdout);
      process.stderr.write(reply.stderr);
      return reply.code;
    }
  }
  return runOperatorCommand(argv, { config, withDatabase: (work) => withDatabase(config, work) }, io);
}

// Exit explicitly (once the output is flushed): database drivers may keep timers alive after close.
const code = await main(process.argv.slice(2));
process.stdout.write("", () => process.exit(code));
