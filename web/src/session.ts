// An expired session must not lose the user's work: the page and the values of its forms are kept in this tab's
// sessionStorage, the login page is shown, and after logging in the console returns to the page and refills them.
// Passwords and hidden inputs are never kept.
const RETURN_KEY = "console.returnTo";
const DRAFTS_KEY = "console.drafts";

type Drafts = Record<string, Record<string, string | boolean>>;

const keepable = (el: Element): el is HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement =>
  (el instanceof HTMLInputElement && !["password", "hidden", "file", "submit", "button"].includes(el.type))
  || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement;

/** Remembers the current page and the values of every form with an id under `root`. */
export function keepWork(root: ParentNode): void {
  sessionStorage.setItem(RETURN_KEY, location.hash);
  const drafts: Drafts = {};
  for (const form of Array.from(root.querySelectorAll<HTMLFormElement>("form[id]"))) {
    const values: Record<string, string | boolean> = {};
    for (const el of Array.from(form.elements)) {
      if (!keepable(el) || !el.name) continue;
      if (el instanceof HTMLInputElement && (el.type === "checkbox" || el.type === "radio")) {
        values[`${el.name}=${el.value}`] = el.checked;
      } else values[el.name] = el.value;
    }
    drafts[form.id] = values;
  }
  sessionStorage.setItem(DRAFTS_KEY, JSON.stringify(drafts));
}

/** The page to return to after logging in again, once. */
export function takeReturnPath(): string | undefined {
  const path = sessionStorage.getItem(RETURN_KEY) ?? undefined;
  sessionStorage.removeItem(RETURN_KEY);
  return path;
}

/** Refills the kept forms that exist under `root`; true when any was refilled. */
export function restoreWork(root: ParentNode): boolean {
  const raw = sessionStorage.getItem(DRAFTS_KEY);
  if (!raw) return false;
  let drafts: Drafts;
  try {
    drafts = JSON.parse(raw) as Drafts;
  } catch {
    sessionStorage.removeItem(DRAFTS_KEY);
    return false;
  }
  let restored = false;
  for (const [id, values] of Object.entries(drafts)) {
    const form = root.querySelector<HTMLFormElement>(`form#${CSS.escape(id)}`);
    if (!form) continue;
    for (const el of Array.from(form.elements)) {
      if (!keepable(el) || !el.name) continue;
      if (el instanceof HTMLInputElement && (el.type === "checkbox" || el.type === "radio")) {
        const checked = values[`${el.name}=${el.value}`];
        if (typeof checked === "boolean") el.checked = checked;
      } else if (typeof values[el.name] === "string") el.value = values[el.name] as string;
    }
    delete drafts[id];
    restored = true;
  }
  if (Object.keys(drafts).length) sessionStorage.setItem(DRAFTS_KEY, JSON.stringify(drafts));
  else sessionStorage.removeItem(DRAFTS_KEY);
  return restored;
}
