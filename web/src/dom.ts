// A few DOM helpers instead of a framework: build elements, build forms whose inputs show their own errors.
import { Code, isIdentityError, timestampDate, type IdentityError, type Timestamp } from "../../client/index.js";
import { humanMessage, violationMessage } from "./messages.js";

export type Child = Node | string | number | null | undefined | false | Child[];
type Props = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    else if (key === "class") el.className = String(value);
    else if (key in el && !key.includes("-")) (el as unknown as Record<string, unknown>)[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export const formatTime = (t: Timestamp | undefined): string => (t ? timestampDate(t).toLocaleString() : "—");

/** A labelled input with its own error line; `name` is the proto field it edits, which errors are matched on. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string | HTMLElement): HTMLElement {
  const error = h("small", { class: "field-error", "data-error-for": input.name, role: "alert" });
  if (!input.id) input.id = `f-${input.name}-${Math.random().toString(36).slice(2, 8)}`;
  const isCheck = input instanceof HTMLInputElement && input.type === "checkbox";
  if (hint) input.setAttribute("aria-describedby", typeof hint === "string" ? `${input.id}-hint` : (hint.id ||= `${input.id}-hint`));
  return h("div", { class: isCheck ? "field check" : "field" },
    isCheck ? [input, h("label", { htmlFor: input.id }, label)] : [h("label", { htmlFor: input.id }, label), input],
    hint ? (typeof hint === "string" ? h("small", { class: "hint", id: `${input.id}-hint` }, hint) : hint) : null,
    error);
}

export const input = (name: string, props: Props = {}): HTMLInputElement => h("input", { name, type: "text", autocomplete: "off", ...props });

/** Error names the server raises for a field without naming it in a violation, mapped to that field's input name. */
export type ErrorFieldMap = Record<string, string>;

/** The `namespace:name` → input mapping every form shares; forms add their own. */
const COMMON_FIELDS: ErrorFieldMap = {
  "pkg/validate:email": "primary_email_address",
};

/** The password policy's errors (none names its field), mapped to the input of the new password. */
export function passwordErrors(inputName: string, extra: string[] = []): ErrorFieldMap {
  return Object.fromEntries([
    "password_strength_min_length", "password_strength_max_length", "password_strength_uppercase", "password_strength_digits",
    "password_strength_special", "password_contains_user_id", "common_password", ...extra,
  ].map((name) => [`pkg/identityserver:${name}`, inputName]));
}

/**
 * Shows `err` next to the inputs it concerns: violations by field path (`user.name` matches input `name`),
 * the `field` attribute, then `errorFields` by error name; whatever matches no input goes to the form's message line.
 */
function showError(form: HTMLFormElement, err: unknown, errorFields: ErrorFieldMap = {}): void {
  clearErrors(form);
  const inputs = Array.from(form.querySelectorAll<HTMLInputElement>("[name]"));
  const find = (path: string) => inputs.find((i) => path === i.name || path.endsWith(`.${i.name}`));
  let placed = false;
  const place = (path: string, message: string) => {
    const target = find(path);
    if (!target) return false;
    target.setAttribute("aria-invalid", "true");
    const line = form.querySelector(`[data-error-for="${CSS.escape(target.name)}"]`);
    if (line) line.textContent = line.textContent ? `${line.textContent}; ${message}` : message;
    placed = true;
    return true;
  };
  let unplaced: string | undefined;
  if (isIdentityError(err)) {
    for (const v of err.violations) if (!place(v.field, violationMessage(v))) unplaced ??= violationMessage(v);
    const attributeField = err.attributes.field;
    if (typeof attributeField === "string" && attributeField && !err.violations.length) place(attributeField, describe(err));
    const mapped = { ...COMMON_FIELDS, ...errorFields };
    const byName = mapped[err.name] ?? err.causes.map((c) => mapped[c.name]).find(Boolean);
    if (!placed && byName) place(byName, describe(err));
    if (!placed) unplaced = describe(err);
  } else {
    unplaced = err instanceof Error ? err.message : String(err);
  }
  if (unplaced !== undefined || !placed) flash(form, unplaced ?? describe(err), "error");
}

export function clearErrors(form: HTMLFormElement): void {
  for (const el of Array.from(form.querySelectorAll("[aria-invalid]"))) el.removeAttribute("aria-invalid");
  for (const el of Array.from(form.querySelectorAll(".field-error"))) el.textContent = "";
  const message = form.querySelector(".form-message");
  if (message) { message.textContent = ""; message.className = "form-message"; }
}

/** The form-level message line (created on first use). */
export function flash(form: HTMLElement, text: string, kind: "error" | "ok"): void {
  let line = form.querySelector(".form-message");
  if (!line) {
    line = h("p", { class: "form-message", role: kind === "error" ? "alert" : "status" });
    form.appendChild(line);
  }
  line.textContent = text;
  line.className = `form-message ${kind}`;
}

/** A readable sentence for an error (messages.ts): no internal names or codes. */
export const describe = (err: unknown): string => humanMessage(err);

/**
 * Set by the shell while logged in: asked when a call fails as unauthenticated; resolves true when the session
 * really ended (then the shell keeps the page's work and shows the login page), false for a wrong password.
 */
export const session: { ended?: () => Promise<boolean> } = {};

/** True when `err` means the session is gone, after the shell has taken over (keeping the work). */
async function sessionEnded(err: unknown): Promise<boolean> {
  return isIdentityError(err) && err.code === Code.Unauthenticated && session.ended !== undefined && (await session.ended());
}

/** Runs a form's submit handler with the button disabled and errors shown in the form. */
export function onSubmit(form: HTMLFormElement, handler: (data: FormData) => Promise<void>, errorFields?: ErrorFieldMap): HTMLFormElement {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const buttons = Array.from(form.querySelectorAll<HTMLButtonElement>("button"));
    clearErrors(form);
    for (const b of buttons) b.disabled = true;
    handler(new FormData(form))
      .catch(async (err: unknown) => { if (!(await sessionEnded(err))) showError(form, err, errorFields); })
      .finally(() => { for (const b of buttons) b.disabled = false; });
  });
  return form;
}

/** A panel telling that the server lacks a service, for views built on optional services. */
export function unavailable(what: string, err: IdentityError): HTMLElement {
  return h("div", { class: "notice", "data-unavailable": "true", "data-error": err.name }, `${what} is not available on this server.`);
}

/** Gives every table cell its column's header as `data-label`, which narrow screens show beside the value. */
export function labelTableCells(root: ParentNode): void {
  for (const table of Array.from(root.querySelectorAll<HTMLTableElement>("table.table"))) {
    const headers = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent?.trim() ?? "");
    for (const row of Array.from(table.querySelectorAll("tbody tr"))) {
      Array.from(row.children).forEach((cell, i) => {
        if (headers[i] && !cell.hasAttribute("data-label") && !cell.classList.contains("actions")) cell.setAttribute("data-label", headers[i]!);
      });
    }
  }
}
