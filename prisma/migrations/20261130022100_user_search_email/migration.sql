-- SearchUsers' `query` also matches the primary e-mail address (the console's admin search promises it; upstream
-- matches ID, name and description only). Substring match as for ID and name, answered by a trigram index.
CREATE INDEX IF NOT EXISTS "users_primary_email_address_lower_trgm_idx" ON "users" USING gin (lower("primary_email_address") gin_trgm_ops);
