-- The search indexes (GIN) take new entries straight into the index instead of a pending list. With a pending
-- list, every search reads all of it on top of the index until VACUUM merges it, and the embedded database has
-- no autovacuum to do that: at 100,000 users, counting a common name's matches took 5.1 ms with the list left by
-- the seeding and 3.6 ms without it. Writing a user's row costs a little more instead, and a list never grows
-- to be merged during some user's write.
ALTER INDEX "users_user_id_lower_trgm_idx" SET (fastupdate = off);
ALTER INDEX "users_name_lower_trgm_idx" SET (fastupdate = off);
ALTER INDEX "users_primary_email_address_lower_trgm_idx" SET (fastupdate = off);
ALTER INDEX "users_description_fts_idx" SET (fastupdate = off);
ALTER INDEX "user_attributes_value_lower_trgm_idx" SET (fastupdate = off);
-- What is pending now is merged once.
SELECT gin_clean_pending_list(i::regclass) FROM unnest(ARRAY[
  'users_user_id_lower_trgm_idx', 'users_name_lower_trgm_idx', 'users_primary_email_address_lower_trgm_idx',
  'users_description_fts_idx', 'user_attributes_value_lower_trgm_idx']) AS i;
