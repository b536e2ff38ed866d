import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { MailMessage } from "./transport.js";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "templates");
const cache = new Map<string, { subject: string; text: string; html: string }>();

function load(name: string) {
  let t = cache.get(name);
  if (!t) {
    const read = (ext: string) => readFileSync(path.join(dir, `${name}.${ext}`), "utf8");
    t = { subject: read("subject.txt").trim(), text: read("txt"), html: read("html") };
    cache.set(name, t);
  }
  return t;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** `{{name}}` placeholders; values are HTML-escaped in the HTML body. An unknown placeholder is a bug, so it throws. */
function fill(template: string, values: Record<string, string>, escape: (s: string) => string): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`mail template value "${key}" missing`);
    return escape(values[key]!);
  });
}

/** The network's name in subjects and bodies (upstream `is.email.network.name`). */
const NETWORK_NAME = "The Things Stack";

/**
 * Renders `templates/<name>.{subject.txt,txt,html}` for one recipient, inside the shared `layout.{html,txt}`
 * (header, footer). With a `public_url` value the footer links to the Console and the account app.
 */
export function renderMail(name: string, to: string, values: Record<string, string>): MailMessage {
  const t = load(name);
  const layout = loadLayout();
  values = { network: NETWORK_NAME, ...values }; // every template may name the network
  const network = values.network!;
  const base = values.public_url;
  const links = base ? { console: `${base}/console`, account: `${base}/oauth` } : undefined;
  const content = fill(t.html, values, escapeHtml);
  // A template that is a whole document (its own <html>) is sent as it is.
  const html = /^\s*<(!doctype|html)/i.test(content) ? content : fill(layout.html, {
    network: escapeHtml(network),
    content,
    footer: links ? ` &middot; <a href="${escapeHtml(links.console)}">Console</a> &middot; <a href="${escapeHtml(links.account)}">Account</a>` : "",
  }, (s) => s);
  const text = fill(layout.text, {
    network,
    content: fill(t.text, values, (s) => s).trimEnd(),
    footer: links ? `Console: ${links.console}\nAccount: ${links.account}\n` : "",
  }, (s) => s);
  return { to, subject: fill(t.subject, values, (s) => s), text, html };
}

let layoutCache: { html: string; text: string } | undefined;
function loadLayout() {
  layoutCache ??= {
    html: readFileSync(path.join(dir, "layout.html"), "utf8"),
    text: readFileSync(path.join(dir, "layout.txt"), "utf8"),
  };
  return layoutCache;
}
