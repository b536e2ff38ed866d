// Pagination for list calls: page N of M from the x-total-count the SDK's listPage returns.
import { pageCount } from "../../client/index.js";
import { h } from "./dom.js";

export interface PageState {
  page: number;
  limit: number;
}

export function pager(state: PageState, total: number | undefined, shown: number, go: (page: number) => void): HTMLElement {
  const pages = pageCount(total, state.limit);
  return h("nav", { class: "pager", "aria-label": "pagination" },
    h("button", { type: "button", disabled: state.page <= 1, onclick: () => go(state.page - 1) }, "‹ Previous"),
    h("span", { class: "pager-status", "data-total": total ?? "" },
      `Page ${state.page} of ${pages} · ${total ?? shown} total`),
    h("button", { type: "button", disabled: state.page >= pages, onclick: () => go(state.page + 1) }, "Next ›"),
  );
}
