// Admin: every user, a page at a time with the total; search by ID, name and e-mail; filter by state, admin and
// deleted; approve or reject requested users in place; open a user's page; create, delete, restore and purge.
// The list's state (query, filters, page) lives in the address (#/admin/users?q=…&state=…&page=…), so reloads,
// the back button and shared links keep it. Search needs EntityRegistrySearch; without it the console falls back
// to looking up an exact user ID.
import { Code, isIdentityError, listPage, State, type Page, type User } from "../../../client/index.js";
import type { Console } from "../app.js";
import { describe, field, flash, formatTime, h, input, onSubmit, replace } from "../dom.js";
import { pager } from "../pager.js";
import { passwordRulesHint } from "../password-rules.js";
import { decide, STATES, stateName } from "./admin-user.js";

const LIST_PATHS = ["name", "primary_email_address", "state", "admin", "deleted_at", "created_at"];
const LIMIT = 20;
/** The admin filter reads the matches, admins first, this many at a time until the first non-admin. */
const ADMIN_SCAN_PAGE = 100;

const USER_ERRORS = {
  "pkg/util/store:already_exists": "user_id",
  "pkg/ttnpb:identifiers": "user_id",
  "pkg/identityserver/blocklist:forbidden_id": "user_id",
  ...Object.fromEntries([
    "password_strength_min_length", "password_strength_max_length", "password_strength_uppercase", "password_strength_digits",
    "password_strength_special", "password_contains_user_id", "common_password",
  ].map((n) => [`pkg/identityserver:${n}`, "password"])),
};

interface ListState { query: string; state: string; admin: boolean; deleted: boolean; page: number }

/** The list's state from the address's query (`#/admin/users?…`). */
function readState(): ListState {
  const query = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const state = query.get("state") ?? "";
  return {
    query: (query.get("q") ?? "").slice(0, 50),
    state: STATES.some((s) => stateName(s) === state) ? state : "",
    admin: query.get("admin") === "1",
    deleted: query.get("deleted") === "1",
    page: Math.max(1, Number.parseInt(query.get("page") ?? "1", 10) || 1),
  };
}

function writeState(s: ListState): void {
  const query = new URLSearchParams();
  if (s.query) query.set("q", s.query);
  if (s.state) query.set("state", s.state);
  if (s.admin) query.set("admin", "1");
  if (s.deleted) query.set("deleted", "1");
  if (s.page > 1) query.set("page", String(s.page));
  const hash = `#/admin/users${query.size ? `?${query}` : ""}`;
  if (location.hash !== hash) location.hash = hash; // re-renders this view with the new state
}

function stateSelect(name: string, value: string, any: string | undefined): HTMLSelectElement {
  return h("select", { name },
    any !== undefined ? h("option", { value: "", selected: value === "" }, any) : null,
    STATES.map((s) => h("option", { value: any !== undefined ? stateName(s) : String(s), selected: value === stateName(s) || value === String(s) }, stateName(s))));
}

export async function adminUsersView(app: Console, root: HTMLElement): Promise<void> {
  const state = readState();
  const status = h("p", { class: "form-message", role: "status" });
  const list = h("div", { class: "list" });
  const say = (text: string, kind: "ok" | "error" | "") => { status.textContent = text; status.className = `form-message ${kind}`; };

  const search = onSubmit(
    h("form", { class: "toolbar filters", id: "user-search", role: "search", "aria-label": "Find users" },
      h("div", { class: "field" }, h("label", { htmlFor: "user-query" }, "Search"),
        input("query", { id: "user-query", type: "search", value: state.query, placeholder: "User ID, name or e-mail", maxlength: 50 })),
      h("div", { class: "field" }, h("label", { htmlFor: "user-state" }, "State"), Object.assign(stateSelect("state", state.state, "any state"), { id: "user-state" })),
      h("label", { class: "inline-check" }, h("input", { type: "checkbox", name: "admin", checked: state.admin }), " admins only"),
      h("label", { class: "inline-check" }, h("input", { type: "checkbox", name: "deleted", checked: state.deleted }), " deleted users"),
      h("button", { type: "submit" }, "Search")),
    async (data) => {
      writeState({
        query: String(data.get("query") ?? "").trim(), state: String(data.get("state") ?? ""),
        admin: data.get("admin") === "on", deleted: data.get("deleted") === "on", page: 1,
      });
    },
  );

  const create = onSubmit(
    h("form", { class: "card", id: "create-user-form", novalidate: true },
      h("h2", null, "Create a user"),
      field("User ID", input("user_id", { required: true }), "2–36 lowercase letters, digits and dashes."),
      field("E-mail address", input("primary_email_address", { type: "email", required: true })),
      field("Name", input("name")),
      field("Initial password", input("password", { type: "password", autocomplete: "new-password" }), passwordRulesHint(app.client)),
      field("State", stateSelect("state", String(State.APPROVED), undefined)),
      field("Administrator", input("admin", { type: "checkbox" })),
      h("button", { type: "submit" }, "Create user")),
    async (data) => {
      const userId = String(data.get("user_id")).trim();
      await app.client.users.create({
        user: {
          ids: { userId },
          primaryEmailAddress: String(data.get("primary_email_address")).trim(),
          name: String(data.get("name") ?? ""),
          password: String(data.get("password") ?? ""),
          state: Number(data.get("state")) as State,
          admin: data.get("admin") === "on",
        },
      });
      create.reset();
      flash(create, `User ${userId} created; a confirmation e-mail went to the address.`, "ok");
      await load();
    },
    USER_ERRORS,
  );

  /** One page of the list, or of search results; exact-ID lookup when the server cannot search. */
  async function fetchPage(): Promise<Page<User> & { note?: string }> {
    const fieldMask = { paths: LIST_PATHS };
    const states = state.state ? STATES.filter((s) => stateName(s) === state.state) : [];
    const paged = { limit: LIMIT, page: state.page };
    if (state.admin) {
      // SearchUsers has no admin filter, but ordered by "-admin" it lists every matching admin before anyone else:
      // reading until the first non-admin finds them all (usually in one call), which are counted and paged here.
      const admins: User[] = [];
      for (let page = 1; ; page++) {
        const { items } = await listPage((o) => app.client.search.searchUsers({
          query: state.query, state: states, deleted: state.deleted, fieldMask, limit: ADMIN_SCAN_PAGE, page, order: "-admin",
        }, o), (r) => r.users);
        admins.push(...items.filter((u) => u.admin));
        if (items.length < ADMIN_SCAN_PAGE || items.some((u) => !u.admin)) break;
      }
      const id = (u: User) => u.ids?.userId ?? "";
      admins.sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
      return { items: admins.slice((state.page - 1) * LIMIT, state.page * LIMIT), total: admins.length };
    }
    if (!state.query && !states.length) {
      return listPage((o) => app.client.users.list({ fieldMask, deleted: state.deleted, ...paged, order: "user_id" }, o), (r) => r.users);
    }
    try {
      return await listPage((o) => app.client.search.searchUsers({ query: state.query, state: states, deleted: state.deleted, fieldMask, ...paged, order: "user_id" }, o), (r) => r.users);
    } catch (err) {
      if (!isIdentityError(err) || err.code !== Code.Unimplemented) throw err;
      const note = "Search is not available on this server; showing the user with exactly this ID.";
      try {
        const user = await app.client.users.get({ userIds: { userId: state.query }, fieldMask });
        return { items: [user], total: 1, note };
      } catch (lookup) {
        if (isIdentityError(lookup) && (lookup.code === Code.NotFound || lookup.code === Code.InvalidArgument)) return { items: [], total: 0, note };
        throw lookup;
      }
    }
  }

  async function load(): Promise<void> {
    const { items, total, note } = await fetchPage();
    if (note) say(note, "");
    const filters = [state.state && `state ${state.state}`, state.admin && "admins", state.query && `matching “${state.query}”`].filter(Boolean).join(", ");
    replace(list,
      h("p", { class: "total", "data-total": total ?? "" }, `${total ?? items.length} ${state.deleted ? "deleted " : ""}user${total === 1 ? "" : "s"}${filters ? ` (${filters})` : ""}`),
      items.length
        ? h("table", { class: "table", id: "users" },
          h("thead", null, h("tr", null, h("th", null, "User ID"), h("th", null, "Name"), h("th", null, "E-mail"), h("th", null, "State"), h("th", null, "Admin"), h("th", null, "Created"), h("th", null, h("span", { class: "visually-hidden" }, "Actions")))),
          h("tbody", null, items.map(row)))
        : h("p", { class: "empty" }, "No users."),
      pager({ page: state.page, limit: LIMIT }, total, items.length, (page) => writeState({ ...state, page })));
  }

  async function act(what: string, run: () => Promise<unknown>, done: string): Promise<void> {
    if (what && !confirm(what)) return;
    try {
      await run();
      say(done, "ok");
      await load();
    } catch (err) {
      say(describe(err), "error");
    }
  }

  function row(user: User): HTMLElement {
    const userId = user.ids?.userId ?? "";
    const userIds = { userId };
    const deleted = Boolean(user.deletedAt);
    const button = (label: string, kind: string, onclick: () => void) =>
      h("button", { type: "button", class: kind, "aria-label": `${label} ${userId}`, onclick }, label);
    return h("tr", { "data-user-id": userId },
      h("td", null, deleted ? userId : h("a", { href: `#/admin/users/${encodeURIComponent(userId)}`, "aria-label": `Open user ${userId}` }, userId)),
      h("td", null, user.name), h("td", { class: "email" }, user.primaryEmailAddress), h("td", { "data-state": stateName(user.state) }, stateName(user.state)),
      h("td", null, user.admin ? "yes" : ""), h("td", null, formatTime(user.createdAt)),
      h("td", { class: "actions" }, deleted
        ? [
          button("Restore", "secondary", () => void act(`Restore ${userId}?`, () => app.client.users.restore(userIds), `${userId} restored.`)),
          button("Purge", "danger", () => void act(`Purge ${userId}? This cannot be undone.`, () => app.client.users.purge(userIds), `${userId} purged.`)),
        ]
        : [
          user.state === State.REQUESTED
            ? [
              button("Approve", "", () => void act("", () => decide(app, userId, State.APPROVED), `${userId} approved.`)),
              button("Reject", "danger", () => void act(`Reject ${userId}?`, () => decide(app, userId, State.REJECTED), `${userId} rejected.`)),
            ]
            : null,
          h("a", { class: "button", href: `#/admin/users/${encodeURIComponent(userId)}`, "aria-label": `Edit ${userId}` }, "Edit"),
          button("Delete", "danger", () => void act(`Delete ${userId}? It can be restored for a while.`, () => app.client.users.delete(userIds), `${userId} deleted.`)),
        ]));
  }

  root.append(search, status, list, h("details", { class: "create" }, h("summary", null, "Create a user"), create));
  await load();
}
