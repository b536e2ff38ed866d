// The console's shell: log-in gate, header (user, transport, logout), navigation and hash routes. Logged out,
// the hash routes are log in (default), #/register and #/update-password.
import { Code, isIdentityError, type Protocol } from "../../client/index.js";
import { chosenTransport, clientsOver, saveTransport, type Clients, type Console, type View } from "./app.js";
import { describe, h, replace } from "./dom.js";
import { adminUsersView } from "./views/admin-users.js";
import { forgotPasswordView } from "./views/forgot-password.js";
import { apiKeysView } from "./views/api-keys.js";
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

interface Route { path: string; title: string; view: View; admin?: boolean; hidden?: boolean }

const ROUTES: Route[] = [
  { path: "profile", title: "Profile", view: profileView },
  { path: "api-keys", title: "API keys", view: apiKeysView },
  { path: "sessions", title: "Sessions", view: sessionsView },
  { path: "notifications", title: "Notifications", view: notificationsView },
  { path: "admin/users", title: "Users", view: adminUsersView, admin: true },
  { path: "admin/invitations", title: "Invitations", view: invitationsView, admin: true },
  { path: "admin/login-tokens", title: "Login tokens", view: loginTokensView, admin: true },
  // The validation mail's link, also when logged in; not in the navigation.
  { path: "validate", title: "Confirm e-mail address", view: (app, root) => validateView(app, root), hidden: true },
];

/** Pages for visitors without a session; any other path shows the login page. */
const PUBLIC_ROUTES: Record<string, (clients: Clients, root: HTMLElement, loggedIn: () => void) => void> = {
  register: registerView,
  "update-password": updatePasswordView,
  "link-account": linkAccountView,
  "forgot-password": forgotPasswordView,
  validate: validateView,
};

const root = document.getElementById("app")!;
let transport: Protocol = chosenTransport();
let clients = clientsOver(transport);

const currentPath = () => location.hash.replace(/^#\/?/, "") || "profile";
const isPublicPath = () => currentPath() === "login" || Object.hasOwn(PUBLIC_ROUTES, currentPath());

function transportSelect(): HTMLSelectElement {
  const select = h("select", { name: "transport", "aria-label": "API transport", title: "API transport" },
    h("option", { value: "connect", selected: transport === "connect" }, "Connect"),
    h("option", { value: "grpc-web", selected: transport === "grpc-web" }, "gRPC-Web"));
  select.addEventListener("change", () => {
    transport = select.value === "grpc-web" ? "grpc-web" : "connect";
    saveTransport(transport);
    clients = clientsOver(transport);
    void start();
  });
  return select;
}

async function start(): Promise<void> {
  document.body.dataset.transport = transport;
  let session;
  try {
    session = await clients.account.me();
  } catch (err) {
    replace(root, h("p", { class: "form-message error" }, describe(err)));
    return;
  }
  if (!session) {
    const main = h("main", { class: "logged-out" });
    replace(root, h("header", { class: "top" }, h("h1", null, "Identity console"), transportSelect()), main);
    const loggedIn = () => {
      // A logged-out page's route means nothing once logged in; other routes (deep links) are kept.
      if (isPublicPath()) history.replaceState(history.state, "", location.pathname + location.search);
      void start();
    };
    const renderLoggedOut = () => {
      const path = currentPath();
      replace(main);
      const view = Object.hasOwn(PUBLIC_ROUTES, path) ? PUBLIC_ROUTES[path] : undefined;
      if (view) { view(clients, main, loggedIn); return; }
      loginView(clients.account, main, loggedIn);
      main.appendChild(h("p", { class: "auth-links" },
        h("a", { href: "#/forgot-password" }, "Forgot password?"),
        h("a", { href: "#/register" }, "Create an account"),
        h("a", { href: "#/update-password" }, "Set a new password")));
    };
    window.onhashchange = renderLoggedOut;
    renderLoggedOut();
    return;
  }
  const userId = session.user.ids?.userId ?? "";
  const app: Console = {
    ...clients,
    session,
    userId,
    isAdmin: session.user.admin,
    transport,
    navigate: (route) => { location.hash = `#/${route}`; },
    refreshSession: () => start(),
    loggedOut: () => { location.hash = ""; void start(); },
  };
  const nav = h("nav", { class: "side", "aria-label": "sections" });
  const main = h("main", { id: "view" });
  const logout = h("button", { type: "button", class: "logout", onclick: async () => {
    try { await app.account.logout(); } catch { /* the session is gone either way */ }
    app.loggedOut();
  } }, "Log out");
  replace(root,
    h("header", { class: "top" },
      h("h1", null, "Identity console"),
      h("span", { class: "who", "data-user-id": userId }, userId, app.isAdmin ? h("span", { class: "badge" }, "admin") : null),
      transportSelect(),
      logout),
    h("div", { class: "layout" }, nav, main));

  const render = async () => {
    const path = currentPath();
    const route = ROUTES.find((r) => r.path === path && (!r.admin || app.isAdmin)) ?? ROUTES[0]!;
    replace(nav, ROUTES.filter((r) => !r.hidden && (!r.admin || app.isAdmin)).map((r) =>
      h("a", { href: `#/${r.path}`, class: r === route ? "active" : "", "aria-current": r === route ? "page" : undefined }, r.title)));
    replace(main, h("h2", null, route.title));
    const body = h("section", { class: "view", "data-view": route.path });
    main.appendChild(body);
    try {
      await route.view(app, body);
    } catch (err) {
      // The session ended elsewhere (logout in another tab, expiry, revoked): back to the login page.
      if (isIdentityError(err) && err.code === Code.Unauthenticated) { app.loggedOut(); return; }
      body.appendChild(h("p", { class: "form-message error", role: "alert" }, describe(err)));
    }
  };
  window.onhashchange = () => void render();
  await render();
}

void start();
