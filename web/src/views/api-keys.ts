// The user's API keys: create with rights (the secret is shown once), rename, delete; listed a page at a time.
import { listPage, Right, timestampFromDate, type APIKey } from "../../../client/index.js";
import type { Console } from "../app.js";
import { field, formatTime, h, input, onSubmit, replace, showError } from "../dom.js";
import { pager, type PageState } from "../pager.js";

const rightName = (r: Right) => Right[r] ?? String(r);

export async function apiKeysView(app: Console, root: HTMLElement): Promise<void> {
  const userIds = { userId: app.userId };
  const state: PageState = { page: 1, limit: 10 };
  const secret = h("div", { class: "secret-slot" });
  const list = h("div", { class: "list" });

  // Rights the user can hand out: its own on itself.
  const own = await app.client.access.listRights(userIds).then((r) => r.rights, () => [Right.USER_ALL]);
  const grantable = [...new Set(own)].filter((r) => r !== Right.invalid).sort((a, b) => a - b);
  const rights = h("fieldset", { class: "rights", "data-field": "rights" },
    h("legend", null, "Rights"),
    grantable.map((r) => h("label", { class: "right" },
      h("input", { type: "checkbox", name: "rights", value: rightName(r), defaultChecked: r === Right.USER_INFO }), ` ${rightName(r)}`)),
    h("small", { class: "field-error", "data-error-for": "rights", role: "alert" }));

  const create = onSubmit(
    h("form", { class: "card", id: "api-key-form" },
      h("h3", null, "New API key"),
      field("Name", input("name", { required: true })),
      rights,
      field("Expires", input("expires_at", { type: "date" }), "optional"),
      h("button", { type: "submit" }, "Create API key")),
    async (data) => {
      const chosen = data.getAll("rights").map((v) => Right[v as keyof typeof Right]).filter((r): r is Right => typeof r === "number");
      const expires = String(data.get("expires_at") ?? "");
      const key = await app.client.access.createAPIKey({
        userIds,
        name: String(data.get("name")).trim(),
        rights: chosen,
        expiresAt: expires ? timestampFromDate(new Date(`${expires}T23:59:59`)) : undefined,
      });
      create.reset();
      showSecret(key);
      await load();
    },
  );

  function showSecret(key: APIKey): void {
    replace(secret, h("div", { class: "card secret", role: "status", "data-api-key-id": key.id },
      h("h3", null, `API key “${key.name}” created`),
      h("p", null, "Copy the key now. It is shown only this once."),
      h("code", { class: "api-key-secret" }, key.key),
      h("div", { class: "row" },
        h("button", { type: "button", onclick: () => void navigator.clipboard?.writeText(key.key).catch(() => {}) }, "Copy"),
        h("button", { type: "button", class: "secondary", onclick: () => replace(secret) }, "I have copied it"))));
  }

  async function load(): Promise<void> {
    const { items, total } = await listPage((o) => app.client.access.listAPIKeys({ userIds, limit: state.limit, page: state.page, order: "-created_at" }, o), (r) => r.apiKeys);
    if (!items.length && state.page > 1 && total) { state.page -= 1; return load(); }
    replace(list,
      items.length
        ? h("table", { class: "table", id: "api-keys" },
          h("thead", null, h("tr", null, h("th", null, "Name"), h("th", null, "ID"), h("th", null, "Rights"), h("th", null, "Created"), h("th", null, "Expires"), h("th", null, ""))),
          h("tbody", null, items.map(row)))
        : h("p", { class: "empty" }, "No API keys yet."),
      pager(state, total, items.length, (page) => { state.page = page; void load(); }));
  }

  function row(key: APIKey): HTMLElement {
    const tr = h("tr", { "data-api-key-id": key.id, "data-name": key.name });
    const nameCell = h("td", { class: "name" }, key.name);
    const rename = () => {
      const form = onSubmit(h("form", { class: "inline" },
        input("name", { value: key.name, "aria-label": "new name", required: true }),
        h("button", { type: "submit" }, "Save"),
        h("button", { type: "button", class: "secondary", onclick: () => replace(nameCell, key.name) }, "Cancel"),
        h("small", { class: "field-error", "data-error-for": "name" })),
      async (data) => {
        const name = String(data.get("name")).trim();
        await app.client.access.updateAPIKey({ userIds, apiKey: { id: key.id, name }, fieldMask: { paths: ["name"] } });
        await load();
      });
      replace(nameCell, form);
      (form.elements.namedItem("name") as HTMLInputElement).focus();
    };
    const remove = async (button: HTMLButtonElement) => {
      if (!confirm(`Delete API key “${key.name}”? Applications using it stop working.`)) return;
      button.disabled = true;
      try {
        await app.client.access.deleteAPIKey({ userIds, keyId: key.id });
        await load();
      } catch (err) {
        button.disabled = false;
        showError(create, err);
      }
    };
    replace(tr, nameCell, h("td", null, h("code", null, key.id)), h("td", { class: "rights-cell" }, key.rights.map(rightName).join(", ")),
      h("td", null, formatTime(key.createdAt)), h("td", null, formatTime(key.expiresAt)),
      h("td", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: rename }, "Rename"),
        h("button", { type: "button", class: "danger", onclick: (e: Event) => void remove(e.currentTarget as HTMLButtonElement) }, "Delete")));
    return tr;
  }

  root.append(create, secret, list);
  await load();
}
