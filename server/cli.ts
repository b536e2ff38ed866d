// `npm run cli -- <command>`: the operator's tool. It talks to the database directly (same config as the
// server), so it works before any user or key exists. Bad input: a message on stderr, exit 1, nothing written.
import { parseArgs } from "node:util";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { parseDuration } from "./domain/durations.js";
import { ServiceError } from "./domain/errors.js";
import {
  authProviderFromInput, createAdminUser, createApiKeyForUser, createAuthenticationProvider, OperatorError, parseRight,
} from "./operator.js";
import { ProviderSecrets } from "./sso/provider-secrets.js";
import { DataDirLockedError } from "./store/data-dir-lock.js";
import { openDatabase, type Database } from "./store/database.js";
import { migrate } from "./store/migrate.js";

const USAGE = `usage: npm run cli -- <command> [options]

commands:
  migrate                                   apply pending database migrations
  create-admin-user --user-id ID --email E --password P
                                            create an approved admin user
  create-api-key --user-id ID --rights RIGHT [--rights RIGHT …] [--name N] [--expires-in 24h]
                                            create an API key for a user; the key is the last line printed
  create-auth-provider --provider-id ID --name NAME [--allow-registrations]
                       [--oidc-client-id ID --oidc-client-secret S --oidc-provider-url URL]
                                            create an external authentication provider (OIDC options: all or none)`;

async function withDatabase<T>(config: Config, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(db);
    return await work(db);
  } finally {
    await db.close();
  }
}

async function createAdmin(config: Config, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { "user-id": { type: "string" }, email: { type: "string" }, password: { type: "string" } } });
  const input = { userId: values["user-id"] ?? "", email: values.email ?? "", password: values.password ?? "" };
  await withDatabase(config, (db) => createAdminUser(db.prisma, config, input));
  console.log(`created admin user ${input.userId}`);
}

async function createApiKey(config: Config, args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "user-id": { type: "string" }, rights: { type: "string", multiple: true }, name: { type: "string" }, "expires-in": { type: "string" },
    },
  });
  const userId = values["user-id"] ?? "";
  const rights = (values.rights ?? []).flatMap((r) => r.split(",")).map(parseRight);
  let expiresAt: Date | null = null;
  if (values["expires-in"] !== undefined) {
    try {
      expiresAt = new Date(Date.now() + parseDuration(values["expires-in"]));
    } catch (err) {
      throw new OperatorError(`--expires-in: ${(err as Error).message}`);
    }
  }
  const token = await withDatabase(config, (db) => createApiKeyForUser(db.prisma, { userId, rights, name: values.name ?? "", expiresAt }));
  console.error(`created API key for ${userId}; store it now, it is shown only once:`);
  console.log(token);
}

async function createAuthProvider(config: Config, args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "provider-id": { type: "string" }, name: { type: "string" }, "allow-registrations": { type: "boolean" },
      "oidc-client-id": { type: "string" }, "oidc-client-secret": { type: "string" }, "oidc-provider-url": { type: "string" },
    },
  });
  const provider = authProviderFromInput({
    providerId: values["provider-id"] ?? "", name: values.name ?? "", allowRegistrations: values["allow-registrations"] ?? false,
    oidc: { clientId: values["oidc-client-id"], clientSecret: values["oidc-client-secret"], providerUrl: values["oidc-provider-url"] },
  });
  const secrets = new ProviderSecrets(config.authProviderSecretKey);
  secrets.sealConfiguration(provider.providerId, provider.configuration); // without a key, refused before the database opens
  await withDatabase(config, (db) => createAuthenticationProvider(db.prisma, provider, secrets));
  // Never echo the client secret.
  const url = provider.configuration.oidc?.providerUrl;
  console.log(`created authentication provider ${provider.providerId}${url ? ` (OIDC, ${url})` : ""}`);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    const config = loadConfig();
    switch (command) {
      case "migrate": {
        // Not withDatabase: it migrates first, which would leave nothing for this call to report.
        const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
        try {
          const applied = await migrate(db);
          console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(", ")}` : "no pending migrations");
        } finally {
          await db.close();
        }
        return 0;
      }
      case "create-admin-user":
        await createAdmin(config, args);
        return 0;
      case "create-api-key":
        await createApiKey(config, args);
        return 0;
      case "create-auth-provider":
        await createAuthProvider(config, args);
        return 0;
      case undefined:
      case "help":
      case "--help":
        console.log(USAGE);
        return command ? 0 : 1;
      default:
        throw new OperatorError(`unknown command "${command}"\n\n${USAGE}`);
    }
  } catch (err) {
    const expected = err instanceof OperatorError || err instanceof ConfigError || err instanceof ServiceError ||
      err instanceof DataDirLockedError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    // A ServiceError's message already reads `error:<namespace>:<name> (…)`.
    const message = (err as Error).message;
    console.error(!expected ? err : err instanceof ServiceError ? message : `error: ${message}`);
    return 1;
  }
}

// Exit explicitly: database drivers may keep timers alive after close.
process.exit(await main(process.argv.slice(2)));
