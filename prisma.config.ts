import { defineConfig } from "prisma/config";

// Only `prisma generate` runs through the Prisma CLI here (native migrate needs an engine we cannot download);
// migrations are authored by scripts/new-migration.ts and applied by server/store/migrate.ts.
// The url is a placeholder for tools that insist on one; the service reads DATABASE_URL itself.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/ttn_identity" },
});
