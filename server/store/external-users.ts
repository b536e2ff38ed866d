// Links between local users and their accounts at an authentication provider.
import type { Prisma } from "../../prisma/generated/client.js";
import type { Db } from "./db.js";

/** A link with the public IDs of both ends, which is all the wire message needs. */
const externalUserColumns = {
  externalId: true, createdAt: true, updatedAt: true,
  user: { select: { userId: true } },
  provider: { select: { providerId: true } },
} satisfies Prisma.ExternalUserSelect;

export type ExternalUserRow = Prisma.ExternalUserGetPayload<{ select: typeof externalUserColumns }>;

/** Internal ids of user and provider; uniqueness of (provider, external_id) and (provider, user) is the database's. */
export function createExternalUser(
  db: Db, data: { userId: string; providerId: string; externalId: string },
): Promise<ExternalUserRow> {
  return db.externalUser.create({ data, select: externalUserColumns });
}

/** Lookups by public IDs; a soft-deleted user keeps its links. */
export function findByUserId(db: Db, providerId: string, userId: string): Promise<ExternalUserRow | null> {
  return db.externalUser.findFirst({
    where: { provider: { providerId }, user: { userId } },
    select: externalUserColumns,
  });
}

export function findByExternalId(db: Db, providerId: string, externalId: string): Promise<ExternalUserRow | null> {
  return db.externalUser.findFirst({ where: { provider: { providerId }, externalId }, select: externalUserColumns });
}

export async function deleteByExternalId(db: Db, providerId: string, externalId: string): Promise<boolean> {
  const { count } = await db.externalUser.deleteMany({ where: { provider: { providerId }, externalId } });
  return count > 0;
}

/** Users linked to any provider sign in there, not with a password here. */
export async function isExternalUser(db: Db, userInternalId: string): Promise<boolean> {
  return (await db.externalUser.count({ where: { userId: userInternalId } })) > 0;
}

/** The providers a user is linked to (public ID and name), oldest link first. */
export async function linkedProviders(db: Db, userInternalId: string): Promise<{ providerId: string; name: string }[]> {
  const links = await db.externalUser.findMany({
    where: { userId: userInternalId },
    select: { provider: { select: { providerId: true, name: true } } },
    orderBy: { createdAt: "asc" },
  });
  return links.map(({ provider }) => ({ providerId: provider.providerId, name: provider.name || provider.providerId }));
}

/** The local user behind a provider identity, as a sign-in needs it; internal provider id. */
export async function findLinkedUser(db: Db, providerInternalId: string, externalId: string) {
  const link = await db.externalUser.findFirst({
    where: { providerId: providerInternalId, externalId },
    select: { user: { select: { id: true, userId: true, state: true, stateDescription: true, deletedAt: true, name: true, primaryEmailAddress: true } } },
  });
  return link?.user;
}

/** The user at the other end of a link and how many links that user has, for the last-link rule. */
export async function findLinkOwner(db: Db, providerId: string, externalId: string) {
  const link = await db.externalUser.findFirst({
    where: { provider: { providerId }, externalId },
    select: { user: { select: { id: true, userId: true, passwordUnusable: true, _count: { select: { externalUsers: true } } } } },
  });
  return link && { ...link.user, links: link.user._count.externalUsers };
}
