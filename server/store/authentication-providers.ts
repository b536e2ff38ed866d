// Authentication providers. The configuration column holds the OIDC client secret, so
// callers that answer clients must blank it (see services/authentication-provider-registry.ts).
import type { Prisma } from "../../prisma/generated/client.js";
import { isRecordNotFound, orderBy, type Db } from "./db.js";

/** Stored shape of AuthenticationProvider.configuration; empty when the provider has no configuration yet. */
export interface ProviderConfiguration {
  oidc?: { clientId: string; clientSecret: string; providerUrl: string };
}

const providerColumns = {
  id: true, providerId: true, name: true, allowRegistrations: true, configuration: true, createdAt: true, updatedAt: true,
} satisfies Prisma.AuthenticationProviderSelect;

export type ProviderRow = Prisma.AuthenticationProviderGetPayload<{ select: typeof providerColumns }>;

export interface ProviderWrite {
  providerId: string;
  name: string;
  allowRegistrations: boolean;
  configuration: ProviderConfiguration;
}

export function createProvider(db: Db, data: ProviderWrite): Promise<ProviderRow> {
  return db.authenticationProvider.create({
    data: { ...data, configuration: data.configuration as Prisma.InputJsonValue },
    select: providerColumns,
  });
}

export function findProvider(db: Db, providerId: string): Promise<ProviderRow | null> {
  return db.authenticationProvider.findUnique({ where: { providerId }, select: providerColumns });
}

const ORDER_FIELDS = { provider_id: "providerId", name: "name", created_at: "createdAt" } as const;

/** Default order: created_at, then id. */
export async function listProviders(
  db: Db, options: { order: string; take: number; skip: number },
): Promise<{ providers: ProviderRow[]; total: number }> {
  const [providers, total] = await Promise.all([
    db.authenticationProvider.findMany({ orderBy: orderBy(options.order, ORDER_FIELDS, "createdAt", "id"), take: options.take, skip: options.skip, select: providerColumns }),
    db.authenticationProvider.count(),
  ]);
  return { providers, total };
}

/** The updated row, or null when a concurrent Delete removed it first. */
export async function updateProvider(
  db: Db, internalId: string, data: Partial<Omit<ProviderWrite, "providerId">>,
): Promise<ProviderRow | null> {
  const { configuration, ...rest } = data;
  try {
    return await db.authenticationProvider.update({
      where: { id: internalId },
      data: { ...rest, ...(configuration ? { configuration: configuration as Prisma.InputJsonValue } : {}), updatedAt: new Date() },
      select: providerColumns,
    });
  } catch (err) {
    if (isRecordNotFound(err)) return null;
    throw err;
  }
}

/** Hard delete; the provider's external-user links go with it through ON DELETE CASCADE. */
export async function deleteProvider(db: Db, providerId: string): Promise<boolean> {
  const { count } = await db.authenticationProvider.deleteMany({ where: { providerId } });
  return count > 0;
}

/** A provider whose stored client secret is not sealed yet (see sso/provider-secrets.ts). */
export interface PlaintextSecretRow {
  id: string;
  providerId: string;
  updatedAt: Date;
  configuration: ProviderConfiguration;
}

/** Providers whose non-empty client secret does not start with `sealedPrefix`; there are few providers. */
export async function listPlaintextSecrets(db: Db, sealedPrefix: string): Promise<PlaintextSecretRow[]> {
  const rows = await db.authenticationProvider.findMany({ select: { id: true, providerId: true, updatedAt: true, configuration: true } });
  return rows
    .map((r) => ({ ...r, configuration: (r.configuration ?? {}) as ProviderConfiguration }))
    .filter((r) => {
      const secret = r.configuration.oidc?.clientSecret ?? "";
      return secret !== "" && !secret.startsWith(sealedPrefix);
    });
}

/** Stores the sealed form of a row's configuration if the row is unchanged since read; keeps updated_at. */
export async function replacePlaintextSecret(db: Db, row: PlaintextSecretRow, configuration: ProviderConfiguration): Promise<boolean> {
  const { count } = await db.authenticationProvider.updateMany({
    where: { id: row.id, updatedAt: row.updatedAt },
    data: { configuration: configuration as Prisma.InputJsonValue, updatedAt: row.updatedAt },
  });
  return count > 0;
}

/** Providers a browser can sign in with: those with an OIDC client ID and provider URL, by name. */
export async function listLoginProviders(db: Db): Promise<ProviderRow[]> {
  const rows = await db.authenticationProvider.findMany({ orderBy: [{ name: "asc" }, { providerId: "asc" }], select: providerColumns });
  return rows.filter(isLoginProvider);
}

/** Whether a browser can sign in through the provider (it has a usable OIDC configuration). */
export function isLoginProvider(row: ProviderRow): boolean {
  const oidc = (row.configuration as ProviderConfiguration | null)?.oidc;
  return Boolean(oidc?.clientId && oidc.providerUrl);
}
