import { describe, it, expect } from "vitest";
import { databaseBackends } from "../support/databases.js";
import type { Database } from "../../server/store/database.js";

const newUser = (db: Database, userId: string, primaryEmailAddress: string) =>
  db.prisma.user.create({ data: { userId, primaryEmailAddress, passwordHash: "PBKDF2$sha256$20000$salt$key" } });

const softDelete = (db: Database, userId: string) =>
  db.prisma.user.update({ where: { userId }, data: { deletedAt: new Date() } });

for (const backend of databaseBackends()) {
  describe(`schema constraints (${backend.name})`, { timeout: 120_000 }, () => {
    it("treats e-mail addresses case-insensitively and frees them when a user is soft-deleted", async () => {
      const { db, dispose } = await backend.create();
      try {
        await newUser(db, "alice", "Alice@Example.com");
        await expect(newUser(db, "alice2", "alice@example.COM")).rejects.toMatchObject({ code: "P2002" });

        await softDelete(db, "alice");
        await newUser(db, "alice2", "alice@example.COM");
        // Restoring the old user now collides with the new owner of the address.
        await expect(db.prisma.user.update({ where: { userId: "alice" }, data: { deletedAt: null } })).rejects.toMatchObject({
          code: "P2002",
        });
      } finally {
        await dispose();
      }
    });

    it("has no GIN index that collects a pending list (no autovacuum merges it on the embedded database)", async () => {
      const { db, dispose } = await backend.create();
      try {
        const { rows } = await db.sql(`SELECT c.relname AS name, coalesce(c.reloptions, '{}') AS options FROM pg_class c
          JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE am.amname = 'gin' AND n.nspname = current_schema() ORDER BY 1`);
        expect(rows.length).toBeGreaterThanOrEqual(5);
        for (const row of rows) expect([row.name, row.options]).toEqual([row.name, ["fastupdate=off"]]);
      } finally {
        await dispose();
      }
    });

    it("keeps a user ID taken while the user is soft-deleted", async () => {
      const { db, dispose } = await backend.create();
      try {
        await newUser(db, "bob", "bob@example.com");
        await softDelete(db, "bob");
        await expect(newUser(db, "bob", "other@example.com")).rejects.toMatchObject({ code: "P2002" });
      } finally {
        await dispose();
      }
    });

    it("keeps invitations unique per address, case-insensitively", async () => {
      const { db, dispose } = await backend.create();
      try {
        await db.prisma.invitation.create({ data: { email: "New@Example.com", token: "t1" } });
        await expect(db.prisma.invitation.create({ data: { email: "new@example.com", token: "t2" } })).rejects.toMatchObject({
          code: "P2002",
        });
      } finally {
        await dispose();
      }
    });

    it("purging a user removes what belongs to it and keeps what only mentions it", async () => {
      const { db, dispose } = await backend.create();
      try {
        const user = await newUser(db, "carol", "carol@example.com");
        const provider = await db.prisma.authenticationProvider.create({
          data: { providerId: "sso", configuration: { oidc: { clientId: "c", clientSecret: "s", providerUrl: "https://id" } } },
        });
        await db.prisma.user.update({
          where: { id: user.id },
          data: {
            attributes: { create: { key: "team", value: "red" } },
            apiKeys: { create: { id: "KEYID", secretHash: "h", rights: [1, 2] } },
            sessions: { create: { secretHash: "h" } },
            loginTokens: { create: { tokenHash: "th", expiresAt: new Date(Date.now() + 3_600_000) } },
            externalUsers: { create: { providerId: provider.id, externalId: "sub-1" } },
            acceptedInvitations: { create: { email: "carol@example.com", token: "inv", acceptedAt: new Date() } },
          },
        });
        const notification = await db.prisma.notification.create({
          data: {
            entityType: "user", entityId: "carol", notificationType: "api_key_created", receivers: [1],
            recipients: { create: { userId: user.id } },
          },
        });

        await db.prisma.user.delete({ where: { id: user.id } });

        const p = db.prisma;
        expect(await p.userAttribute.count()).toBe(0);
        expect(await p.apiKey.count()).toBe(0);
        expect(await p.userSession.count()).toBe(0);
        expect(await p.loginToken.count()).toBe(0);
        expect(await p.externalUser.count()).toBe(0);
        expect(await p.notificationReceiver.count()).toBe(0);
        expect(await p.notification.findUnique({ where: { id: notification.id } })).not.toBeNull();
        expect(await p.invitation.findUnique({ where: { token: "inv" } })).toMatchObject({ acceptedById: null });
        expect(await p.authenticationProvider.count()).toBe(1);
      } finally {
        await dispose();
      }
    });
  });
}
