// OIDC client secrets of authentication providers, sealed at rest with AES-256-GCM under AUTH_PROVIDER_SECRET_KEY.
// A sealed value reads `sealed:v1:<key id>:<base64url(iv | ciphertext | tag)>`; the provider ID is bound in as
// associated data, so a secret copied onto another provider's row does not open. Rows written before sealing
// existed hold the secret as given; `sealPlaintextSecrets` seals them at start-up once a key is configured.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import * as errors from "../domain/error-catalog.js";
import type { Logger } from "../logger.js";
import type { ProviderConfiguration } from "../store/authentication-providers.js";
import { listPlaintextSecrets, replacePlaintextSecret } from "../store/authentication-providers.js";
import type { Db } from "../store/db.js";

const PREFIX = "sealed:v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export const isSealed = (value: string): boolean => value.startsWith(PREFIX);

/** Seals and opens client secrets; without a key it can open nothing and refuses to seal anything. */
export class ProviderSecrets {
  private readonly keyId: string | undefined;

  constructor(private readonly key: Buffer | undefined) {
    // A short fingerprint names the key a value was sealed with, so a changed key is reported as such.
    this.keyId = key && createHash("sha256").update(key).digest("hex").slice(0, 8);
  }

  get hasKey(): boolean {
    return this.key !== undefined;
  }

  /** The value to store for `secret`; an empty secret (a public client) needs no key and stays empty. */
  seal(providerId: string, secret: string): string {
    if (secret === "") return "";
    if (!this.key) throw errors.providerSecretKeyMissing();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(providerId, "utf8"));
    const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
    return `${PREFIX}${this.keyId}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url")}`;
  }

  /** The secret behind a stored value (plaintext rows from before sealing are read as they are). */
  open(providerId: string, stored: string): string {
    if (!isSealed(stored)) return stored;
    const [keyId, data] = stored.slice(PREFIX.length).split(":");
    if (!this.key) throw errors.providerSecretUnreadable({ provider_id: providerId, reason: "AUTH_PROVIDER_SECRET_KEY is not set" });
    if (keyId !== this.keyId) {
      throw errors.providerSecretUnreadable({ provider_id: providerId, reason: "it was sealed with a different AUTH_PROVIDER_SECRET_KEY" });
    }
    try {
      const raw = Buffer.from(data ?? "", "base64url");
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(providerId, "utf8"));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch {
      throw errors.providerSecretUnreadable({ provider_id: providerId, reason: "the sealed value is damaged" });
    }
  }

  /** `configuration` with its client secret sealed, ready to store. */
  sealConfiguration(providerId: string, configuration: ProviderConfiguration): ProviderConfiguration {
    if (!configuration.oidc) return configuration;
    const { clientSecret } = configuration.oidc;
    return { oidc: { ...configuration.oidc, clientSecret: isSealed(clientSecret) ? clientSecret : this.seal(providerId, clientSecret) } };
  }
}

/**
 * Seals every client secret still stored in plaintext (rows from before sealing, or written while no key was
 * set). Each row is replaced only if unchanged meanwhile, so instances starting together do no harm.
 * Without a key, the rows are left as they are and a warning says how many wait.
 */
export async function sealPlaintextSecrets(db: Db, secrets: ProviderSecrets, logger: Logger): Promise<number> {
  const rows = await listPlaintextSecrets(db, PREFIX);
  if (!rows.length) return 0;
  if (!secrets.hasKey) {
    logger.warn({ providers: rows.map((r) => r.providerId) }, "OIDC client secrets are stored unencrypted: set AUTH_PROVIDER_SECRET_KEY to seal them");
    return 0;
  }
  let sealed = 0;
  for (const row of rows) {
    const next = secrets.sealConfiguration(row.providerId, row.configuration);
    if (await replacePlaintextSecret(db, row, next)) sealed++;
  }
  if (sealed) logger.info({ count: sealed }, "sealed OIDC client secrets stored unencrypted");
  return sealed;
}
