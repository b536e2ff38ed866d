-- Credential caches (server/auth/credential-cache.ts) learn of every change that can narrow what a credential
-- may do: the database announces it on channel "credential_changes" when the change commits, whichever code or
-- instance made it. Payloads: 'k:<api key id>', 's:<session id>', 'u:<user uuid>' (every credential of that user).
-- Inserts are never announced (a new credential cannot be cached yet), nor is a session's sliding expiry moving
-- later, which only widens.
CREATE OR REPLACE FUNCTION "announce_credential_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('credential_changes', TG_ARGV[0] || ':' || OLD."id");
  RETURN NULL;
END
$$;

CREATE TRIGGER "api_keys_announce_change" AFTER UPDATE OR DELETE ON "api_keys"
  FOR EACH ROW EXECUTE FUNCTION "announce_credential_change"('k');

CREATE TRIGGER "user_sessions_announce_end" AFTER DELETE ON "user_sessions"
  FOR EACH ROW EXECUTE FUNCTION "announce_credential_change"('s');

CREATE TRIGGER "user_sessions_announce_change" AFTER UPDATE ON "user_sessions"
  FOR EACH ROW WHEN (
    OLD."secret_hash" IS DISTINCT FROM NEW."secret_hash" OR OLD."user_id" IS DISTINCT FROM NEW."user_id"
    OR (NEW."expires_at" IS NOT NULL AND (OLD."expires_at" IS NULL OR NEW."expires_at" < OLD."expires_at"))
  ) EXECUTE FUNCTION "announce_credential_change"('s');

CREATE TRIGGER "users_announce_end" AFTER DELETE ON "users"
  FOR EACH ROW EXECUTE FUNCTION "announce_credential_change"('u');

CREATE TRIGGER "users_announce_change" AFTER UPDATE ON "users"
  FOR EACH ROW WHEN (
    OLD."admin" IS DISTINCT FROM NEW."admin" OR OLD."state" IS DISTINCT FROM NEW."state"
    OR OLD."state_description" IS DISTINCT FROM NEW."state_description" OR OLD."deleted_at" IS DISTINCT FROM NEW."deleted_at"
    OR OLD."password_hash" IS DISTINCT FROM NEW."password_hash" OR OLD."user_id" IS DISTINCT FROM NEW."user_id"
    OR OLD."primary_email_address_validated_at" IS DISTINCT FROM NEW."primary_email_address_validated_at"
  ) EXECUTE FUNCTION "announce_credential_change"('u');
