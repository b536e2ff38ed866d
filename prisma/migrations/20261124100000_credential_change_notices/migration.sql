-- In-memory caches of credentials and user rows (server/store/change-cache.ts) learn of every change to what they
-- hold: the database announces it on channel "credential_changes" when the change commits, whichever code or
-- instance made it. Payloads: 'k:<api key id>', 's:<session id>', 'u:<user uuid>' (the user's row, attributes and
-- every credential of theirs; also anything cached about all users, such as how many there are), 'u:*' (users
-- were added). Inserts of keys and sessions are never announced (a new one cannot be cached yet), nor is a
-- session's sliding expiry moving later, which only widens.
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

CREATE OR REPLACE FUNCTION "announce_users_added"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('credential_changes', 'u:*');
  RETURN NULL;
END
$$;

CREATE TRIGGER "users_announce_added" AFTER INSERT ON "users"
  FOR EACH STATEMENT EXECUTE FUNCTION "announce_users_added"();

CREATE TRIGGER "users_announce_change" AFTER UPDATE ON "users"
  FOR EACH ROW EXECUTE FUNCTION "announce_credential_change"('u');

CREATE OR REPLACE FUNCTION "announce_user_attribute_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('credential_changes', 'u:' || (CASE WHEN TG_OP = 'DELETE' THEN OLD."user_id" ELSE NEW."user_id" END));
  RETURN NULL;
END
$$;

CREATE TRIGGER "user_attributes_announce_change" AFTER INSERT OR UPDATE OR DELETE ON "user_attributes"
  FOR EACH ROW EXECUTE FUNCTION "announce_user_attribute_change"();
