// Synthetic users for the benchmarks, inserted in set-based SQL batches (the indexes are in place, as on a live table).
// Every user: an ID with an 8-hex-digit fragment, a first name plus a 6-hex-digit surname, a description naming
// one of 50,000 gateways and a city; state cycles through the five states; 1 % soft-deleted; 10 % carry an attribute.
import type { Sql } from "../server/store/database.js";

export const FIRST_NAMES = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Zoe"];
export const CITIES = ["Amsterdam", "Berlin", "Copenhagen", "Dublin", "Edinburgh", "Florence", "Geneva", "Helsinki", "Istanbul", "Krakow"];
export const GATEWAYS = 50_000;
const sqlArray = (items: string[]) => `ARRAY[${items.map((s) => `'${s}'`).join(",")}]`;

const SEED = `
INSERT INTO "users" ("id", "user_id", "name", "description", "primary_email_address", "password_hash", "state",
                     "created_at", "updated_at", "deleted_at")
SELECT gen_random_uuid(),
       'user-' || substr(md5(i::text), 1, 8) || '-' || i,
       (${sqlArray(FIRST_NAMES)})[1 + i % ${FIRST_NAMES.length}] || ' ' || initcap(substr(md5('n' || i), 1, 6)),
       'Operates gateway gw' || (i % ${GATEWAYS}) || ' in ' || (${sqlArray(CITIES)})[1 + (i / 7) % ${CITIES.length}],
       'user' || i || '@example.com', 'not-a-hash', i % 5,
       now() - make_interval(secs => i), now(), CASE WHEN i % 100 = 0 THEN now() ELSE NULL END
FROM generate_series($1::int, $2::int) AS i`;
const SEED_ATTRIBUTES = `
INSERT INTO "user_attributes" ("user_id", "key", "value")
SELECT "id", 'team', 'team-' || (abs(hashtext("user_id")) % 1000) FROM "users"
WHERE "user_id" LIKE 'user-%' AND abs(hashtext("user_id")) % 10 = 0`;

/** Inserts users 1…n in batches, then their attributes; `progress` hears the count after each batch. */
export async function seedUsers(sql: Sql, n: number, progress?: (seeded: number) => void, batch = 100_000): Promise<void> {
  for (let lo = 1; lo <= n; lo += batch) {
    const hi = Math.min(n, lo + batch - 1);
    await sql(SEED, [lo, hi]);
    progress?.(hi);
  }
  await sql(SEED_ATTRIBUTES);
}
