-- SearchUsers (spec B.17) on large user tables: case-insensitive substring filters on user_id, name and attribute
-- values (lower(col) LIKE '%…%', answered by trigram indexes), the full-text match on description, and exact
-- counts of broad state filters (index-only scan).
-- Hand-written (not expressible in schema.prisma; listed in scripts/new-migration.ts RAW_INDEXES).
-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it; the embedded backend
-- bundles it (server/store/database.ts).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX IF NOT EXISTS "users_user_id_lower_trgm_idx" ON "users" USING gin (lower("user_id") gin_trgm_ops);

CREATE INDEX IF NOT EXISTS "users_name_lower_trgm_idx" ON "users" USING gin (lower("name") gin_trgm_ops);

CREATE INDEX IF NOT EXISTS "users_description_fts_idx" ON "users" USING gin (to_tsvector('english', "description"));

CREATE INDEX IF NOT EXISTS "users_state_active_idx" ON "users" ("state") WHERE "deleted_at" IS NULL;

CREATE INDEX IF NOT EXISTS "user_attributes_value_lower_trgm_idx" ON "user_attributes" USING gin (lower("value") gin_trgm_ops);
