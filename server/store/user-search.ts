// EntityRegistrySearch.SearchUsers over the user table. Substring filters are
// `lower(column) LIKE lower('%…%')`, answered by the trigram indexes on lower(user_id) and lower(name); the
// description match is full-text, answered by users_description_fts_idx (migration user_search_indexes).
// The ID page is parameterised raw SQL (Prisma's builder cannot express the expression predicates the indexes
// need, nor the plan choice below); the rows are then loaded with the usual user columns, in page order.
import { Prisma } from "../../prisma/generated/client.js";
import { parseOrder, rawAccessOf, type Db } from "./db.js";
import { USER_ORDER_FIELDS, findUsersByIds, type PageColumns, type UserRow } from "./users.js";

export interface UserSearch {
  /** user_id, name or primary e-mail address contains it, or the description matches it (full-text). */
  query: string;
  idContains: string;
  nameContains: string;
  descriptionContains: string;
  /** Every pair must match: an attribute with that key whose value contains the value. */
  attributesContain: Record<string, string>;
  /** State is any of these; empty means any state. */
  states: number[];
  /** Only soft-deleted users instead of only live ones. */
  deleted: boolean;
  /** "" or a USER_ORDER_FIELDS key, optionally prefixed with "-". */
  order: string;
  take: number;
  skip: number;
  /** Counted exactly up to this many matches (default EXACT_COUNT_LIMIT). */
  exactCountLimit?: number;
}

/** `%`, `_` and the escape character itself match literally (LIKE's default escape is the backslash). */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, "\\$&");
const containsPattern = (s: string) => `%${escapeLike(s)}%`;

const idContains = (q: string) => Prisma.sql`lower(u."user_id") LIKE lower(${containsPattern(q)})`;
const nameContains = (q: string) => Prisma.sql`lower(u."name") LIKE lower(${containsPattern(q)})`;
const emailContains = (q: string) => Prisma.sql`lower(u."primary_email_address") LIKE lower(${containsPattern(q)})`;
// The expression must equal the index's, config name included, for the planner to use it.
const descriptionMatches = (q: string) =>
  Prisma.sql`to_tsvector('english', u."description") @@ websearch_to_tsquery('english', ${q})`;

function whereClause(s: UserSearch): Prisma.Sql {
  const conditions: Prisma.Sql[] = [s.deleted ? Prisma.sql`u."deleted_at" IS NOT NULL` : Prisma.sql`u."deleted_at" IS NULL`];
  if (s.query) conditions.push(Prisma.sql`(${idContains(s.query)} OR ${nameContains(s.query)} OR ${emailContains(s.query)} OR ${descriptionMatches(s.query)})`);
  if (s.idContains) conditions.push(idContains(s.idContains));
  if (s.nameContains) conditions.push(nameContains(s.nameContains));
  if (s.descriptionContains) conditions.push(descriptionMatches(s.descriptionContains));
  // One EXISTS per pair, each free to match its own attribute row (upstream wanted one row to match every key).
  for (const [key, value] of Object.entries(s.attributesContain)) {
    conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM "user_attributes" a
      WHERE a."user_id" = u."id" AND a."key" = ${key} AND lower(a."value") LIKE lower(${containsPattern(value)}))`);
  }
  if (s.states.length) conditions.push(Prisma.sql`u."state" IN (${Prisma.join(s.states)})`);
  return Prisma.join(conditions, " AND ");
}

/** ORDER BY <field> <dir>, user_id <dir> over table alias `t`; the order keys are the column names. */
function orderOf(order: string): { column: string; by: (t: string) => Prisma.Sql } {
  const { field, desc } = parseOrder(order);
  const column = Object.hasOwn(USER_ORDER_FIELDS, field) ? field : "user_id";
  const dir = desc ? "DESC" : "ASC";
  return {
    column,
    by: (t) => Prisma.raw(column === "user_id" ? `${t}."user_id" ${dir}` : `${t}."${column}" ${dir}, ${t}."user_id" ${dir}`),
  };
}

/**
 * Matches are counted exactly up to this many; past it, x-total-count is PostgreSQL's estimate (never below it).
 * Upstream counts every match, which on a million users costs hundreds of milliseconds for a common first name;
 * even counting to 10,000 reads thousands of scattered table pages.
 */
const EXACT_COUNT_LIMIT = 1_000;

/**
 * The page of matching internal IDs and the number of matches. The planner cannot estimate substring and full-text
 * selectivity well: given an ORDER BY … LIMIT it may walk the user_id index and test every row (seconds on a
 * million users) when the trigram/full-text indexes would name the few matches at once. So the matches are first
 * counted, up to EXACT_COUNT_LIMIT + 1, in a MATERIALIZED query that the planner plans without the limit (it asks
 * the indexes) and that stops once enough rows were read. Then:
 * - few matches: all of them are collected, sorted and paged (at most EXACT_COUNT_LIMIT rows);
 * - many: they are dense enough that walking the order's index meets a page of them early. When the planner's
 *   estimate already says so, the page is read while counting.
 */
/** Runs a query built with Prisma.sql: as raw SQL beside a root client (no query engine work), else through Prisma. */
type Query = <T>(query: Prisma.Sql) => Promise<T[]>;

function queryOf(db: Db): Query {
  const raw = rawAccessOf(db);
  if (!raw) return (query) => db.$queryRaw(query);
  return async <T>(query: Prisma.Sql) => (await raw.sql(query.text, query.values)).rows as T[];
}

async function matchingPage(db: Db, search: UserSearch, where: Prisma.Sql): Promise<{ ids: string[]; total: number }> {
  const query = queryOf(db);
  const order = orderOf(search.order);
  const limit = search.exactCountLimit ?? EXACT_COUNT_LIMIT;
  const countUpToLimit = async () => {
    const [row] = await query<{ counted: number }>(Prisma.sql`
      WITH m AS MATERIALIZED (SELECT 1 FROM "users" u WHERE ${where})
      SELECT count(*)::int AS counted FROM (SELECT 1 FROM m LIMIT ${limit + 1}) c`);
    return row?.counted ?? 0;
  };
  const walkOrderIndex = async () =>
    (await query<{ id: string }>(Prisma.sql`SELECT u."id" FROM "users" u WHERE ${where}
      ORDER BY ${order.by("u")} LIMIT ${search.take} OFFSET ${search.skip}`)).map((r) => r.id);
  // Planning alone tells whether matches are plentiful; then the page need not wait for the count.
  const estimate = await estimatedMatches(query, where);
  if (estimate > 10 * limit) {
    const [counted, ids] = await Promise.all([countUpToLimit(), walkOrderIndex()]);
    return { ids, total: counted > limit ? Math.max(counted, estimate) : counted };
  }
  const counted = await countUpToLimit();
  if (counted > limit) return { ids: await walkOrderIndex(), total: Math.max(counted, estimate) };
  if (counted <= search.skip) return { ids: [], total: counted };
  const extra = order.column === "user_id" ? Prisma.empty : Prisma.raw(`, u."${order.column}"`);
  const rows = await query<{ id: string }>(Prisma.sql`
    WITH m AS MATERIALIZED (SELECT u."id", u."user_id"${extra} FROM "users" u WHERE ${where})
    SELECT m."id" FROM m ORDER BY ${order.by("m")} LIMIT ${search.take} OFFSET ${search.skip}`);
  return { ids: rows.map((r) => r.id), total: counted };
}

/** The planner's estimate of how many rows match (from the statistics ANALYZE keeps), without reading them. */
async function estimatedMatches(query: Query, where: Prisma.Sql): Promise<number> {
  const [row] = await query<{ "QUERY PLAN": unknown }>(Prisma.sql`EXPLAIN (FORMAT JSON) SELECT 1 FROM "users" u WHERE ${where}`);
  const plan = typeof row?.["QUERY PLAN"] === "string" ? JSON.parse(row["QUERY PLAN"]) : row?.["QUERY PLAN"];
  return Math.round(Number((plan as [{ Plan: { "Plan Rows": number } }])?.[0]?.Plan?.["Plan Rows"] ?? 0));
}

/** One page of matching users in the requested order, and the number of matches before paging. */
export async function searchUsers(db: Db, search: UserSearch, columns: PageColumns = {}): Promise<{ users: UserRow[]; total: number }> {
  const { ids, total } = await matchingPage(db, search, whereClause(search));
  if (!ids.length) return { users: [], total };
  const rows = await findUsersByIds(db, ids, columns);
  const byId = new Map(rows.map((r) => [r.id, r]));
  // A row deleted between the two queries is simply left out.
  return { users: ids.flatMap((id) => byId.get(id) ?? []), total };
}
