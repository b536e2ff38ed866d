// The console's shell: log-in gate, header (user, notifications, log out), collapsible navigation and hash routes.
// Logged out, the hash routes are log in (default), #/register, #/forgot-password, #/update-password, #/validate
// and #/link-account. A session that ends while a page is open keeps the page's work (session.ts).
import { Code, isIdentityError, listPage, NotificationStatus, type Protocol } from "../../client/index.js";
import { chosenTransport, clientsOver, saveTransport, type Clients, type Console, type View } from "./app.js";
import { describe, h, labelTableCells, replace, session as sessionHook } from "./dom.js";
import { serverConfiguration } from "./configuration.js";
import { keepWork, restoreWork, takeReturnPath } from "./session.js";
import { adminUserView } from "./views/admin-user.js";
import { adminUsersView } from "./views/admin-users.js";
import { apiKeysView } from "./views/api-keys.js";
import { forgotPasswordView } from "./views/forgot-password.js";
import { invitationsView } from "./views/invitations.js";
import { loginTokensView } from "./views/login-tokens.js";
import { loginView } from "./views/login.js";
import { notificationsView } from "./views/notifications.js";
import { profileView } from "./views/profile.js";
import { registerView } from "./views/register.js";
import { sessionsView } from "./views/sessions.js";
import { linkAccountView } from "./views/sso.js";
import { updatePasswordView } from "./views/update-password.js";
import { validateView } from "./views/validate.js";

const APP_NAME = "Identity console";

interface Route {
  /** The hash path, or a pattern whose groups are passed to the view (`admin/users/<id>`). */
  path: string | RegExp;
  title: string;
  view: (app: Console, root: HTMLElement, ...params: string[]) => ReturnType<View>;
  admin?: boolean;
  /** Reached by links only, not listed in the navigation. */
  hidden?: boolean;
}

const ROUTES: Route[] = [
  { path: "profile", title: "Profile", view: profileView },
  { path: "api-keys", title: "API keys", view: apiKeysView },
  { path: "sessions", title: "Sessions", view: sessionsView },
  { path: "notifications", title: "Notifications", view: notificationsView },
  { path: "admin/users", title: "Users", view: adminUsersView, admin: true },
  { path: /^admin\/users\/([^/?]+)$/, title: "User", view: adminUserView, admin: true, hidden: true },
  { path: "admin/invitations", title: "Invitations", view: invitationsView, admin: true },
  { path: "admin/login-tokens", title: "Login tokens", view: loginTokensView, admin: true },
  // The validation mail's link and the temporary-password mail's link, also when logged in.
  { path: "validate", title: "Confirm e-mail address", view: (app, root) => validateView(app, root), hidden: true },
  { path: "update-password", title: "Set a new password", view: (app, root) => updatePasswordView(app, root), hidden: true },
];

/** Pages for visitors without a session; any other path shows the login page. */
const PUBLIC_ROUTES: Record<string, { title: string; view: (clients: Clients, root: HTMLElement, loggedIn: () => void) => void }> = {
  register: { title: "Create an account", view: registerView },
  "update-password": { title: "Set a new password", view: updatePasswordView },
  "link-account": { title: "Link your account", view: linkAccountView },
  "forgot-password": { title: "Forgot password", view: forgotPasswordView },
  validate: { title: "Confirm e-mail address", view: (clients, root) => validateView(clients, root) },
};

/**
 * Upstream Console paths that this server's e-mails link to (`/console/user/api-keys/<id>`,
 * `/console/admin-panel/user-management/<id>`), mapped to this console's hash routes.
 */
function upstreamPathRoute(): string | undefined {
  const rest = location.pathname.replace(/^\/console\/?/, "");
  if (!rest || rest === "index.html") return undefined;
  const user = /^admin-panel\/user-management\/([^/]+)/.exec(rest);
  if (user) return `admin/users/${user[1]}`;
  if (rest.startsWith("admin-panel")) return "admin/users";
  if (rest.startsWith("user/api-keys")) return "api-keys";
  if (rest.startsWith("user/sessions")) return "sessions";
  if (rest.startsWith("notifications")) return "notifications";
  return "profile";
}
const fromUpstream = upstreamPathRoute();
if (fromUpstream) history.replaceState(null, "", `/console/${location.search}#/${fromUpstream}`);

const root = document.getElementById("app")!;
window.addEventListener("email-validated", () => document.getElementById("validation-banner")?.remove());
// Tables render as cards on phones: each cell is labelled with its column, whichever view drew the table.
new MutationObserver(() => labelTableCells(root)).observe(root, { childList: true, subtree: true });
let transport: Protocol = chosenTransport();
let clients = clientsOver(transport);

const currentPath = () => location.hash.replace(/^#\/?/, "") || "profile";
const isPublicPath = () => currentPath() === "login" || Object.hasOwn(PUBLIC_ROUTES, currentPath());

const setTitle = (title: string) => { document.title = `${title} · ${APP_NAME}`; };

/** The notifications bell, drawn as SVG (no icon font, no emoji font needed). */
function bellIcon(): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1z");
  path.setAttribute("fill", "currentColor");
  svg.appendChild(path);
  return svg;
}

/** Admins may switch the API transport (a developer setting); end users never see it. */
function transportSelect(): HTMLElement {
  const select = h("select", { name: "transport", id: "transport" },
    h("option", { value: "connect", selected: transport === "connect" }, "Connect"),
    h("option", { value: "grpc-web", selected: transport === "grpc-web" }, "gRPC-Web"));
  select.addEventListener("change", () => {
    transport = select.value === "grpc-web" ? "grpc-web" : "connect";
    saveTransport(transport);
    clients = clientsOver(transport);
    void start();
  });
  return h("div", { class: "transport" }, h("label", { htmlFor: "transport" }, "API transport"), select);
}

async function start(notice?: string): Promise<void> {
  document.body.dataset.transport = transport;
  sessionHook.ended = undefined;
  let current;
  try {
    current = await clients.account.me();
  } catch (err) {
    setTitle("Error");
    replace(root, h("main", { class: "logged-out" }, h("p", { class: "form-message error", role: "alert" }, describe(err)),
      h("button", { type: "button", onclick: () => void start() }, "Try again")));
    return;
  }
  if (!current) { loggedOutShell(notice); return; }
  await loggedInShell(current);
}

function loggedOutShell(notice?: string): void {
  document.body.classList.remove("nav-open");
  const main = h("main", { class: "logged-out", id: "view" });
  replace(root, h("header", { class: "top" }, h("span", { class: "brand" }, APP_NAME)), main);
  const loggedIn = () => {
    // A logged-out page's route means nothing once logged in; other routes (deep links) are kept.
    if (isPublicPath()) history.replaceState(history.state, "", location.pathname + location.search);
    const back = takeReturnPath();
    if (back) history.replaceState(history.state, "", location.pathname + location.search + back);
    void start();
  };
  const renderLoggedOut = () => {
    const path = currentPath();
    replace(main);
    const page = Object.hasOwn(PUBLIC_ROUTES, path) ? PUBLIC_ROUTES[path] : undefined;
    if (page) {
      setTitle(page.title);
      page.view(clients, main, loggedIn);
      return;
    }
    setTitle("Log in");
    if (notice) main.appendChild(h("p", { class: "notice", role: "status", id: "session-notice" }, notice));
    loginView(clients.account, main, loggedIn);
    main.appendChild(h("p", { class: "auth-links" },
      h("a", { href: "#/forgot-password" }, "Forgot password?"),
      h("a", { href: "#/register" }, "Create an account"),
      h("a", { href: "#/update-password" }, "Set a new password")));
  };
  window.onhashchange = renderLoggedOut;
  renderLoggedOut();
}

async function loggedInShell(current: NonNullable<Awaited<ReturnType<Clients["account"]["me"]>>>): Promise<void> {
  const userId = current.user.ids?.userId ?? "";
  const app: Console = {
    ...clients,
    session: current,
    userId,
    isAdmin: current.user.admin,
    transport,
    navigate: (route) => { location.hash = `#/${route}`; },
    refreshSession: () => start(),
    loggedOut: () => { location.hash = ""; void start(); },
  };
  const main = h("main", { id: "view", tabindex: "-1" });
  const banner = h("div", { class: "banner-slot" });

  /** The session ended under an open page: keep its work, then the login page; after it, back here. */
  const sessionEnded = async (): Promise<boolean> => {
    if (await clients.account.me().then(Boolean, () => true)) return false; // still logged in: a wrong password, say
    keepWork(main);
    void start("Your session has ended. Log in again to continue where you left off; your unsaved changes are kept.");
    return true;
  };
  sessionHook.ended = sessionEnded;

  const unread = h("span", { class: "count", hidden: true });
  const navId = "main-nav";
  const toggle = h("button", { type: "button", class: "menu-toggle secondary", "aria-expanded": "false", "aria-controls": navId }, "Menu");
  const setNav = (open: boolean) => {
    document.body.classList.toggle("nav-open", open);
    toggle.setAttribute("aria-expanded", String(open));
  };
  toggle.addEventListener("click", () => setNav(!document.body.classList.contains("nav-open")));
  const nav = h("nav", { class: "side", id: navId, "aria-label": "Sections" });
  const logout = h("button", { type: "button", class: "logout secondary", onclick: async () => {
    try { await app.account.logout(); } catch { /* the session is gone either way */ }
    app.loggedOut();
  } }, "Log out");
  replace(root,
    h("a", { class: "skip-link", href: "#view", onclick: (e: Event) => { e.preventDefault(); main.focus(); } }, "Skip to content"),
    h("header", { class: "top" },
      toggle,
      h("span", { class: "brand" }, APP_NAME),
      h("span", { class: "who", "data-user-id": userId }, userId, app.isAdmin ? h("span", { class: "badge" }, "admin") : null),
      h("a", { class: "bell", href: "#/notifications", "aria-label": "Notifications" }, bellIcon(), unread),
      logout),
    h("div", { class: "layout" }, nav, h("div", { class: "content" }, banner, main)));
  void showValidationBanner(app, banner);

  /** The unread count in the header and the navigation (NotificationService.List with the UNSEEN total). */
  const refreshUnread = async () => {
    try {
      const { total, items } = await listPage((o) => app.client.notifications.list({ receiverIds: { userId }, status: [NotificationStatus.UNSEEN], limit: 1 }, o), (r) => r.notifications);
      const count = total ?? items.length;
      for (const badge of [unread, ...Array.from(nav.querySelectorAll<HTMLElement>(".count"))]) {
        badge.textContent = String(count);
        badge.hidden = count === 0;
      }
      document.querySelector(".bell")?.setAttribute("aria-label", count ? `Notifications, ${count} unread` : "Notifications");
    } catch { /* no notification service, or the session ended: the badge stays as it was */ }
  };
  window.addEventListener("notifications-changed", () => void refreshUnread());

  const render = async () => {
    const path = currentPath();
    let params: string[] = [];
    const route = ROUTES.find((r) => {
      if (r.admin && !app.isAdmin) return false;
      if (typeof r.path === "string") return r.path === path.split("?")[0];
      const m = r.path.exec(path);
      if (m) params = m.slice(1).map(decodeURIComponent);
      return Boolean(m);
    }) ?? ROUTES[0]!;
    const visible = ROUTES.filter((r) => !r.hidden && (!r.admin || app.isAdmin));
    const activePath = typeof route.path === "string" ? route.path : "admin/users";
    replace(nav,
      h("ul", null, visible.map((r) => {
        const active = r.path === activePath;
        return h("li", null, h("a", { href: `#/${String(r.path)}`, class: active ? "active" : "", "aria-current": active ? "page" : undefined },
          r.title, r.path === "notifications" ? h("span", { class: "count", hidden: true }) : null));
      })),
      app.isAdmin ? transportSelect() : null);
    setNav(false);
    const title = params.length ? `${route.title} ${params[0]}` : route.title;
    setTitle(title);
    replace(main, h("h1", { class: "view-title" }, title));
    const body = h("section", { class: "view", "data-view": typeof route.path === "string" ? route.path : "admin/user" });
    main.appendChild(body);
    void refreshUnread();
    try {
      await route.view(app, body, ...params);
      if (restoreWork(body)) body.prepend(h("p", { class: "notice", role: "status" }, "Your unsaved changes were restored."));
    } catch (err) {
      // The session ended elsewhere (logout in another tab, expiry, revoked): keep the page, log in again.
      if (isIdentityError(err) && err.code === Code.Unauthenticated && (await sessionEnded())) return;
      body.appendChild(h("p", { class: "form-message error", role: "alert" }, describe(err)));
    }
  };
  window.onhashchange = () => { void render().then(() => main.focus({ preventScroll: true })); };
  // Coming back to the tab: a session that ended meanwhile shows the login page now, not at the next click.
  document.onvisibilitychange = () => { if (document.visibilityState === "visible") void sessionEnded(); };
  await render();
}

/**
 * With EMAIL_VALIDATION_REQUIRED, an unconfirmed address leaves the user only their profile: say so on every page,
 * with the way out.
 */
async function showValidationBanner(app: Console, slot: HTMLElement): Promise<void> {
  try {
    const config = await serverConfiguration(app.client);
    if (!config?.userRegistration?.contactInfoValidation?.required) return;
    const user = await app.client.users.get({ userIds: { userId: app.userId }, fieldMask: { paths: ["primary_email_address_validated_at"] } });
    if (user.primaryEmailAddressValidatedAt) return;
    replace(slot, h("p", { class: "notice banner", role: "status", id: "validation-banner" },
      "Confirm your e-mail address to use everything: open the link in the e-mail we sent you, or ",
      h("a", { href: "#/profile" }, "send it again from your profile"), "."));
  } catch { /* the banner is a hint; pages still say what they cannot do */ }
}

void start();
