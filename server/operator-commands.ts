// The operator's commands (`npm run cli -- <command>`): parsing, help and output, on a database handed in by the
// caller, so the same code runs in the CLI's own process and, for the embedded database while the server owns it,
// inside the server (operator-socket.ts). A command writes its result to `out` (a secret alone on the last line),
// messages to `err`, and returns the exit code: 0 done, 1 refused (nothing written), 2 a mistake in the command line.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { State } from "../gen/ttn/lorawan/v3/enums_pb.js";
import { ConfigError, type Config } from "./config.js";
import { parseDuration } from "./domain/durations.js";
import { ServiceError } from "./domain/errors.js";
import {
  authProviderFromInput, createAdminUser, createApiKeyForUser, createAuthenticationProvider, deleteUser, listUsersForOperator,
  OperatorError, parseRight, resetPassword, restoreDeletedUser, revokeApiKey,
} from "./operator.js";
import { ProviderSecrets } from "./sso/provider-secrets.js";
import { DataDirLockedError } from "./store/data-dir-lock.js";
import { openDatabase, type Database } from "./store/database.js";
import { migrate } from "./store/migrate.js";

export interface OperatorIo {
  out(line: string): void;
  err(line: string): void;
}

export interface OperatorContext {
  config: Config;
  /** Runs the work on the database: one opened for the command, or the running server's own. */
  withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T>;
  /** Applies pending migrations, naming them (withDatabase has already applied them before its work runs). */
  migrate(): Promise<string[]>;
}

/** Commands on a database opened for each of them (the CLI's own connection), migrated before any other work. */
export function directContext(config: Config): OperatorContext {
  async function withDatabase<T>(work: (db: Database) => Promise<T>, migrateFirst = true): Promise<T> {
    const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      if (migrateFirst) await migrate(db);
      return await work(db);
    } finally {
      await db.close();
    }
  }
  return { config, withDatabase: (work) => withDatabase(work), migrate: () => withDatabase(migrate, false) };
}

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values = Record<string, string | boolean | string[] | undefined>;

interface Command {
  usage: string;
  summary: string;
  options: Options;
  run(values: Values, ctx: OperatorContext, io: OperatorIo): Promise<void>;
}

const text = (v: Values, name: string): string => (typeof v[name] === "string" ? (v[name] as string) : "");
const userId = (v: Values): string => {
  const id = text(v, "user-id");
  if (!id) throw new OperatorError("--user-id is required");
  return id;
};

export const COMMANDS: Record<string, Command> = {
  migrate: {
    usage: "migrate",
    summary: "apply pending database migrations (the server also does this at start)",
    options: {},
    async run(_v, ctx, io) {
      const applied = await ctx.migrate();
      io.out(applied.length ? `applied ${applied.length} migration(s): ${applied.join(", ")}` : "no pending migrations");
    },
  },
  "create-admin-user": {
    usage: "create-admin-user --user-id ID --email E --password P",
    summary: "create an approved admin with a validated e-mail (any user ID, `admin` too)",
    options: { "user-id": { type: "string" }, email: { type: "string" }, password: { type: "string" } },
    async run(v, ctx, io) {
      const input = { userId: userId(v), email: text(v, "email"), password: text(v, "password") };
      await ctx.withDatabase((db) => createAdminUser(db.prisma, ctx.config, input));
      io.out(`created admin user ${input.userId}`);
    },
  },
  "create-api-key": {
    usage: "create-api-key --user-id ID --rights RIGHT [--rights RIGHT …] [--name N] [--expires-in 24h]",
    summary: "create an API key with exactly those rights for any user; the key alone is printed on standard output",
    options: { "user-id": { type: "string" }, rights: { type: "string", multiple: true }, name: { type: "string" }, "expires-in": { type: "string" } },
    async run(v, ctx, io) {
      const id = userId(v);
      const rights = ((v.rights as string[] | undefined) ?? []).flatMap((r) => r.split(",")).map(parseRight);
      let expiresAt: Date | null = null;
      if (v["expires-in"] !== undefined) {
        try {
          expiresAt = new Date(Date.now() + parseDuration(text(v, "expires-in")));
        } catch (err) {
          throw new OperatorError(`--expires-in: ${(err as Error).message}`);
        }
      }
      const token = await ctx.withDatabase((db) => createApiKeyForUser(db.prisma, { userId: id, rights, name: text(v, "name"), expiresAt }));
      io.err(`created API key for ${id}; store it now, it is shown only once:`);
      io.out(token);
    },
  },
  "revoke-api-key": {
    usage: "revoke-api-key --key-id ID   (the key's ID, or the whole key)",
    summary: "delete an API key of any user; calls with it fail from then on",
    options: { "key-id": { type: "string" } },
    async run(v, ctx, io) {
      const key = text(v, "key-id");
      if (!key) throw new OperatorError("--key-id is required");
      const id = await ctx.withDatabase((db) => revokeApiKey(db.prisma, key));
      io.out(`revoked API key ${id}`);
    },
  },
  "list-users": {
    usage: "list-users [--deleted] [--limit 50] [--page 1]",
    summary: "list users, newest first: ID, state, admin, e-mail, created (--deleted: the soft-deleted ones)",
    options: { deleted: { type: "boolean" }, limit: { type: "string" }, page: { type: "string" } },
    async run(v, ctx, io) {
      const limit = Number(text(v, "limit") || "50");
      const page = Number(text(v, "page") || "1");
      const { users, total } = await ctx.withDatabase((db) => listUsersForOperator(db.prisma, { deleted: v.deleted === true, limit, page }));
      const rows = [["USER_ID", "STATE", "ADMIN", "EMAIL", v.deleted ? "DELETED" : "CREATED"], ...users.map((u) => [
        u.userId, (State[u.state] ?? String(u.state)).toLowerCase(), u.admin ? "yes" : "no", u.primaryEmailAddress,
        (v.deleted ? u.deletedAt! : u.createdAt).toISOString(),
      ])];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const row of rows) io.out(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd());
      io.err(`${users.length} of ${total} ${v.deleted ? "deleted " : ""}users (page ${page})`);
    },
  },
  "reset-password": {
    usage: "reset-password --user-id ID",
    summary: "give a user a temporary password (valid TEMPORARY_PASSWORD_TTL) to set a new one with; printed, never mailed",
    options: { "user-id": { type: "string" } },
    async run(v, ctx, io) {
      const id = userId(v);
      const { password, link, expiresAt } = await ctx.withDatabase((db) => resetPassword(db.prisma, ctx.config, id));
      io.err(`temporary password for ${id}, valid until ${expiresAt.toISOString()}; it only sets a new password, here: ${link}`);
      io.out(password);
    },
  },
  "delete-user": {
    usage: "delete-user --user-id ID",
    summary: "delete a user (ends their sessions; restorable within RESTORE_WINDOW)",
    options: { "user-id": { type: "string" } },
    async run(v, ctx, io) {
      const id = userId(v);
      await ctx.withDatabase((db) => deleteUser(db.prisma, id));
      io.out(`deleted user ${id}`);
    },
  },
  "restore-user": {
    usage: "restore-user --user-id ID",
    summary: "restore a user deleted within RESTORE_WINDOW",
    options: { "user-id": { type: "string" } },
    async run(v, ctx, io) {
      const id = userId(v);
      await ctx.withDatabase((db) => restoreDeletedUser(db.prisma, ctx.config, id));
      io.out(`restored user ${id}`);
    },
  },
  "create-auth-provider": {
    usage: "create-auth-provider --provider-id ID --name NAME [--allow-registrations]\n" +
      "                     [--oidc-client-id ID --oidc-client-secret S --oidc-provider-url URL]",
    summary: "create an external authentication provider for single sign-on (OIDC options: all or none)",
    options: {
      "provider-id": { type: "string" }, name: { type: "string" }, "allow-registrations": { type: "boolean" },
      "oidc-client-id": { type: "string" }, "oidc-client-secret": { type: "string" }, "oidc-provider-url": { type: "string" },
    },
    async run(v, ctx, io) {
      const provider = authProviderFromInput({
        providerId: text(v, "provider-id"), name: text(v, "name"), allowRegistrations: v["allow-registrations"] === true,
        oidc: {
          clientId: v["oidc-client-id"] as string | undefined, clientSecret: v["oidc-client-secret"] as string | undefined,
          providerUrl: v["oidc-provider-url"] as string | undefined,
        },
      });
      const secrets = new ProviderSecrets(ctx.config.authProviderSecretKey);
      secrets.sealConfiguration(provider.providerId, provider.configuration); // without a key, refused before the database opens
      await ctx.withDatabase((db) => createAuthenticationProvider(db.prisma, provider, secrets));
      const url = provider.configuration.oidc?.providerUrl; // never echo the client secret
      io.out(`created authentication provider ${provider.providerId}${url ? ` (OIDC, ${url})` : ""}`);
    },
  },
};

const USAGE = `usage: npm run cli -- <command> [options]   (npm run cli -- <command> --help: its options)

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(22)}${c.summary}`).join("\n")}`;

const commandHelp = (c: Command) => `usage: npm run cli -- ${c.usage}\n\n${c.summary}`;

/** Runs one command line; never throws: every failure is a message on `err` and a non-zero exit code. */
export async function runOperatorCommand(argv: string[], ctx: OperatorContext, io: OperatorIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    (name ? io.out : io.err)(USAGE);
    return name ? 0 : 2;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name]! : undefined;
  if (!command) {
    io.err(`error: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  let values: Values;
  try {
    values = parseArgs({ args, options: { ...command.options, help: { type: "boolean", short: "h" } } }).values as Values;
  } catch (err) {
    io.err(`error: ${(err as Error).message}\n\n${commandHelp(command)}`);
    return 2;
  }
  if (values.help) {
    io.out(commandHelp(command));
    return 0;
  }
  try {
    await command.run(values, ctx, io);
    return 0;
  } catch (err) {
    // A ServiceError's message already reads `error:<namespace>:<name> (…)`.
    if (err instanceof ServiceError) io.err(err.message);
    else if (err instanceof OperatorError || err instanceof ConfigError || err instanceof DataDirLockedError) io.err(`error: ${err.message}`);
    else io.err(`error: ${(err as Error)?.stack ?? String(err)}`);
    return 1;
  }
}
