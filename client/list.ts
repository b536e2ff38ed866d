// List calls report the size of the whole collection in the `x-total-count` response header (upstream's
// pagination contract); this helper returns it next to the page so callers can render "page 2 of 7".
import type { CallOptions } from "@connectrpc/connect";

export interface Page<T> {
  items: T[];
  /** The total across all pages, from `x-total-count`; undefined if the server did not send it. */
  total: number | undefined;
}

/**
 * Runs one list call and returns its items with the total:
 * `listPage((o) => client.users.list({ limit: 20, page: 1 }, o), (r) => r.users)`.
 */
export async function listPage<R, T>(call: (options: CallOptions) => Promise<R>, items: (response: R) => T[], options: CallOptions = {}): Promise<Page<T>> {
  let total: number | undefined;
  const read = (headers: Headers) => {
    const value = headers.get("x-total-count");
    if (value !== null && /^\d+$/.test(value.trim())) total = Number(value);
  };
  const response = await call({
    ...options,
    onHeader: (h) => { read(h); options.onHeader?.(h); },
    onTrailer: (t) => { if (total === undefined) read(t); options.onTrailer?.(t); },
  });
  return { items: items(response), total };
}

/** Number of pages for `total` items at `limit` per page (at least 1). */
export const pageCount = (total: number | undefined, limit: number): number =>
  Math.max(1, Math.ceil((total ?? 0) / Math.max(1, limit)));
