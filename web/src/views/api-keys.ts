// The user's API keys: create with a preset (read-only, full account) or hand-picked rights, each described and
// grouped by purpose (the secret is shown once); rename, delete; listed a page at a time.
import { listPage, Right, timestampFromDate, type APIKey } from "../../../client/index.js";
import type { Console } from "../app.js";
import { describe, field, formatTime, h, input, onSubmit, replace } from "../dom.js";
import { pager, type PageState } from "../pager.js";
import { FULL_ACCOUNT, grantableGroups, READ_ONLY, rightLabel } from "../rights.js";

const rightName = (r: Right) => Right[r] ?? String(r);

export async function apiKeysView(app: Console, root: HTMLElement): Promise<void> {
  const userIds = { userId: app.userId };
  const state: PageState = { page: 1, limit: 10 };
  const secret = h("div", { class: "secret-slot" });
  const list = h("div", { class: "list" });
  const status = h("p", { class: "form-message", role: "status" });
  const say = (text: string, kind: "ok" | "error") => { status.textContent = text; status.className = `form-message ${kind}`; };

  // Rights the user can hand out: its own on itself.
  const own = await app.client.access.listRights(userIds).then((r) => r.rights, () => [Right.USER_ALL]);
  const grantable: Right[] = [...new Set(own)].filter((r) => r !== Right.invalid).sort((a, b) => a - b);
  const presets = [
    { value: "read-only", label: "Read-only", description: "Read your profile, notifications and what your account belongs to; change nothing.", rights: READ_ONLY.filter((r) => grantable.includes(r)) },
    { value: "full", label: "Full account", description: "Everything you can do, including rights added later. Keep such a key especially safe.", rights: FULL_ACCOUNT.filter((r) => grantable.includes(r)) },
    { value: "custom", label: "Custom", description: "Choose the rights one by one.", rights: [] as Right[] },
  ].filter((p) => p.value === "custom" || p.rights.length);

  const custom = h("div", { class: "custom-rights", id: "custom-rights", hidden: true },
    grantableGroups(grantable).map((group) => h("div", { class: "right-group", role: "group", "aria-label": group.title },
      h("h4", null, group.title),
      group.rights.map((r) => h("label", { class: "right" },
        h("input", { type: "checkbox", name: "rights", value: rightName(r.right) }),
        h("span", { class: "right-name" }, r.label),
        h("span", { class: "right-description" }, r.description))))));
  const rights = h("fieldset", { class: "rights", "data-field": "rights" },
    h("legend", null, "What may this key do?"),
    h("div", { class: "presets" }, presets.map((p, i) => h("label", { class: "right" },
      h("input", { type: "radio", name: "preset", value: p.value, checked: i === 0, onchange: () => { custom.hidden = p.value !== "custom"; } }),
      h("span", { class: "right-name" }, p.label),
      h("span", { class: "right-description" }, p.description)))),
    custom,
    h("small", { class: "field-error", "data-error-for": "rights", role: "alert" }));

  const create = onSubmit(
    h("form", { class: "card", id: "api-key-form", novalidate: true },
      h("h2", null, "New API key"),
      field("Name", input("name", { required: true, maxlength: 50 }), "So you recognise it later, e.g. where it is used."),
      rights,
      field("Expires", input("expires_at", { type: "date" }), "Optional: the key stops working after this day."),
      h("button", { type: "submit" }, "Create API key")),
    async (data) => {
      const preset = presets.find((p) => p.value === data.get("preset")) ?? presets[0]!;
      const chosen = preset.value === "custom"
        ? data.getAll("rights").map((v) => Right[v as keyof typeof Right]).filter((r): r is Right => typeof r === "number")
        : preset.rights;
      const line = rights.querySelector('[data-error-for="rights"]')!;
      if (!chosen.length) {
        rights.setAttribute("aria-invalid", "true");
        line.textContent = "Choose at least one right.";
        line.scrollIntoView({ block: "center" });
        return;
      }
      rights.removeAttribute("aria-invalid");
      const name = String(data.get("name")).trim();
      if (!name) throw new Error("Give the key a name.");
      const expires = String(data.get("expires_at") ?? "");
      const key = await app.client.access.createAPIKey({
        userIds,
        name,
        rights: chosen,
        expiresAt: expires ? timestampFromDate(new Date(`${expires}T23:59:59`)) : undefined,
      });
      create.reset();
      custom.hidden = true;
      showSecret(key);
      await load();
    },
  );

  function showSecret(key: APIKey): void {
    replace(secret, h("div", { class: "card secret", role: "status", "data-api-key-id": key.id },
      h("h2", null, `API key “${key.name}” created`),
      h("p", null, "Copy the key now. It is shown only this once."),
      h("code", { class: "api-key-secret" }, key.key),
      h("div", { class: "row" },
        h("button", { type: "button", onclick: () => void navigator.clipboard?.writeText(key.key).catch(() => {}) }, "Copy"),
        h("button", { type: "button", class: "secondary", onclick: () => replace(secret) }, "I have copied it"))));
    secret.scrollIntoView({ block: "nearest" });
  }

  async function load(): Promise<void> {
    const { items, total } = await listPage((o) => app.client.access.listAPIKeys({ userIds, limit: state.limit, page: state.page, order: "-created_at" }, o), (r) => r.apiKeys);
    if (!items.length && state.page > 1 && total) { state.page -= 1; return load(); }
    replace(list,
      items.length
        ? h("table", { class: "table", id: "api-keys" },
          h("thead", null, h("tr", null, h("th", null, "Name"), h("th", null, "ID"), h("th", null, "Rights"), h("th", null, "Created"), h("th", null, "Expires"), h("th", null, h("span", { class: "visually-hidden" }, "Actions")))),
          h("tbody", null, items.map(row)))
        : h("p", { class: "empty" }, "No API keys yet."),
      pager(state, total, items.length, (page) => { state.page = page; void load(); }));
  }

  function row(key: APIKey): HTMLElement {
    const label = key.name || key.id;
    const tr = h("tr", { "data-api-key-id": key.id, "data-name": key.name });
    const nameCell = h("td", { class: "name" }, key.name);
    const rename = () => {
      const form = onSubmit(h("form", { class: "inline", id: `rename-${key.id}` },
        input("name", { value: key.name, "aria-label": `New name for API key ${label}`, required: true }),
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
      if (!confirm(`Delete API key “${label}”? Applications using it stop working.`)) return;
      button.disabled = true;
      try {
        await app.client.access.deleteAPIKey({ userIds, keyId: key.id });
        say(`API key “${label}” deleted.`, "ok");
        await load();
      } catch (err) {
        button.disabled = false;
        say(describe(err), "error");
      }
    };
    replace(tr, nameCell, h("td", null, h("code", null, key.id)),
      h("td", { class: "rights-cell", "data-rights": key.rights.map(rightName).join(" ") }, key.rights.map(rightLabel).join(", ")),
      h("td", null, formatTime(key.createdAt)), h("td", null, formatTime(key.expiresAt)),
      h("td", { class: "actions" },
        h("button", { type: "button", class: "secondary", "aria-label": `Rename API key ${label}`, onclick: rename }, "Rename"),
        h("button", { type: "button", class: "danger", "aria-label": `Delete API key ${label}`, onclick: (e: Event) => void remove(e.currentTarget as HTMLButtonElement) }, "Delete")));
    return tr;
  }

  root.append(create, secret, status, list);
  await load();
}
