// Admin: every user, a page at a time with the total; search; create; edit admin-only fields; delete, restore
// and purge. Search needs EntityRegistrySearch; without it the console falls back to looking up an exact user ID.
import { Code, isIdentityError, listPage, State, type Page, type User } from "../../../client/index.js";
import type { Console } from "../app.js";
import { describe, field, flash, formatTime, h, input, onSubmit, replace } from "../dom.js";
import { pager, type PageState } from "../pager.js";

const LIST_PATHS = ["name", "primary_email_address", "state", "admin", "deleted_at"];
const EDIT_PATHS = ["name", "description", "primary_email_address", "state", "state_description", "admin", "require_password_update"];
const STATES = [State.APPROVED, State.REQUESTED, State.REJECTED, State.FLAGGED, State.SUSPENDED];
const stateName = (s: State) => State[s]?.toLowerCase() ?? String(s);

const USER_ERRORS = {
  "pkg/util/store:already_exists": "user_id",
  "pkg/ttnpb:identifiers": "user_id",
  ...Object.fromEntries([
    "password_strength_min_length", "password_strength_max_length", "password_strength_uppercase", "password_strength_digits",
    "password_strength_special", "password_contains_user_id", "common_password",
  ].map((n) => [`pkg/identityserver:${n}`, "password"])),
};

function stateSelect(value: State): HTMLSelectElement {
  return h("select", { name: "state" }, STATES.map((s) => h("option", { value: String(s), selected: s === value }, stateName(s))));
}

export async function adminUsersView(app: Console, root: HTMLElement): Promise<void> {
  const state: PageState & { query: string; deleted: boolean } = { page: 1, limit: 20, query: "", deleted: false };
  const status = h("p", { class: "form-message", role: "status" });
  const list = h("div", { class: "list" });
  const editor = h("div", { class: "editor-slot" });

  const search = onSubmit(
    h("form", { class: "toolbar", id: "user-search", role: "search" },
      input("query", { type: "search", placeholder: "Search user ID, name, e-mail…", "aria-label": "search users" }),
      h("label", { class: "inline-check" }, h("input", { type: "checkbox", name: "deleted" }), " deleted users"),
      h("button", { type: "submit" }, "Search")),
    async (data) => {
      state.query = String(data.get("query") ?? "").trim();
      state.deleted = data.get("deleted") === "on";
      state.page = 1;
      await load();
    },
  );

  const create = onSubmit(
    h("form", { class: "card", id: "create-user-form", novalidate: true },
      h("h3", null, "Create a user"),
      field("User ID", input("user_id", { required: true })),
      field("E-mail address", input("primary_email_address", { type: "email", required: true })),
      field("Name", input("name")),
      field("Initial password", input("password", { type: "password", autocomplete: "new-password" })),
      field("State", stateSelect(State.APPROVED)),
      field("Admin", input("admin", { type: "checkbox" })),
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
      flash(create, `User ${userId} created.`, "ok");
      await load();
    },
    USER_ERRORS,
  );

  /** One page of the list, or of search results; exact-ID lookup when the server cannot search. */
  async function fetchPage(): Promise<Page<User> & { note?: string }> {
    const fieldMask = { paths: LIST_PATHS };
    if (!state.query) {
      return listPage((o) => app.client.users.list({ fieldMask, deleted: state.deleted, limit: state.limit, page: state.page, order: "user_id" }, o), (r) => r.users);
    }
    try {
      return await listPage((o) => app.client.search.searchUsers({ query: state.query, deleted: state.deleted, fieldMask, limit: state.limit, page: state.page, order: "user_id" }, o), (r) => r.users);
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
    status.textContent = note ?? "";
    status.className = "form-message";
    replace(list,
      h("p", { class: "total", "data-total": total ?? "" }, `${total ?? items.length} ${state.deleted ? "deleted " : ""}user${total === 1 ? "" : "s"}${state.query ? ` matching “${state.query}”` : ""}`),
      items.length
        ? h("table", { class: "table", id: "users" },
          h("thead", null, h("tr", null, h("th", null, "User ID"), h("th", null, "Name"), h("th", null, "E-mail"), h("th", null, "State"), h("th", null, "Admin"), h("th", null, "Created"), h("th", null, ""))),
          h("tbody", null, items.map(row)))
        : h("p", { class: "empty" }, "No users."),
      pager(state, total, items.length, (page) => { state.page = page; void load(); }));
  }

  async function act(what: string, run: () => Promise<unknown>): Promise<void> {
    if (!confirm(what)) return;
    try {
      await run();
      replace(editor);
      await load();
    } catch (err) {
      status.textContent = describe(err);
      status.className = "form-message error";
    }
  }

  function row(user: User): HTMLElement {
    const userId = user.ids?.userId ?? "";
    const userIds = { userId };
    const deleted = Boolean(user.deletedAt);
    return h("tr", { "data-user-id": userId },
      h("td", null, userId), h("td", null, user.name), h("td", null, user.primaryEmailAddress), h("td", null, stateName(user.state)),
      h("td", null, user.admin ? "yes" : ""), h("td", null, formatTime(user.createdAt)),
      h("td", { class: "actions" }, deleted
        ? [
          h("button", { type: "button", class: "secondary", onclick: () => void act(`Restore ${userId}?`, () => app.client.users.restore(userIds)) }, "Restore"),
          h("button", { type: "button", class: "danger", onclick: () => void act(`Purge ${userId}? This cannot be undone.`, () => app.client.users.purge(userIds)) }, "Purge"),
        ]
        : [
          h("button", { type: "button", class: "secondary", onclick: () => void edit(userId) }, "Edit"),
          h("button", { type: "button", class: "danger", onclick: () => void act(`Delete ${userId}? It can be restored for a while.`, () => app.client.users.delete(userIds)) }, "Delete"),
        ]));
  }

  async function edit(userId: string): Promise<void> {
    const userIds = { userId };
    let user: User;
    try {
      user = await app.client.users.get({ userIds, fieldMask: { paths: EDIT_PATHS } });
    } catch (err) {
      status.textContent = describe(err);
      status.className = "form-message error";
      return;
    }
    const form = onSubmit(
      h("form", { class: "card", id: "edit-user-form", "data-user-id": userId, novalidate: true },
        h("h3", null, `Edit ${userId}`),
        field("Name", input("name", { value: user.name })),
        field("Description", h("textarea", { name: "description", rows: 2 }, user.description)),
        field("E-mail address", input("primary_email_address", { type: "email", value: user.primaryEmailAddress })),
        field("State", stateSelect(user.state)),
        field("State description", input("state_description", { value: user.stateDescription })),
        field("Admin", input("admin", { type: "checkbox", checked: user.admin })),
        field("Require a password update at next login", input("require_password_update", { type: "checkbox", checked: user.requirePasswordUpdate })),
        h("div", { class: "row" },
          h("button", { type: "submit" }, "Save user"),
          h("button", { type: "button", class: "secondary", onclick: () => replace(editor) }, "Close"))),
      async (data) => {
        const next = {
          name: String(data.get("name") ?? ""),
          description: String(data.get("description") ?? ""),
          primaryEmailAddress: String(data.get("primary_email_address") ?? "").trim(),
          state: Number(data.get("state")) as State,
          stateDescription: String(data.get("state_description") ?? ""),
          admin: data.get("admin") === "on",
          requirePasswordUpdate: data.get("require_password_update") === "on",
        };
        const paths = ([
          ["name", next.name !== user.name], ["description", next.description !== user.description],
          ["primary_email_address", next.primaryEmailAddress !== user.primaryEmailAddress], ["state", next.state !== user.state],
          ["state_description", next.stateDescription !== user.stateDescription], ["admin", next.admin !== user.admin],
          ["require_password_update", next.requirePasswordUpdate !== user.requirePasswordUpdate],
        ] as const).filter(([, changed]) => changed).map(([path]) => path);
        if (!paths.length) { flash(form, "Nothing changed.", "ok"); return; }
        await app.client.users.update({ user: { ids: userIds, ...next }, fieldMask: { paths: [...paths] } });
        Object.assign(user, next);
        flash(form, "User saved.", "ok");
        await load();
      },
      USER_ERRORS,
    );
    replace(editor, form);
    form.scrollIntoView({ block: "nearest" });
  }

  root.append(search, status, list, editor, h("details", { class: "create" }, h("summary", null, "Create a user"), create));
  await load();
}
