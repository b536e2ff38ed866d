// The console's account and admin flows in a real browser (Debian's Chromium driven by playwright-core), each on
// a desktop (1280 px) and a phone (390 px) viewport: password recovery, e-mail confirmation from the mailed link,
// the layout (collapsible navigation, no sideways scrolling, page titles), notifications, API key presets,
// sessions, the admin's users (search by e-mail, filters in the address, approve, password reset), a session
// that ends under an open form, every e-mail's links, and the messages users see. Screenshots go to
// test-results/screenshots/.
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, inFreshPage, launchChromium, mailedLink as mailedLinkOf, SCREENSHOTS } from "./support/browser.js";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserAccess, UserInvitationRegistry, UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { ADMIN_PASSWORD, databaseBackends, startTestServer, type TestServer } from "../support/server.js";
import { createUserKey, keyId } from "../support/users.js";


const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;
const PASSWORD = "Account-Passw0rd";
let seq = 0;

describe.skipIf(!hasChromium)("console account and admin flows in Chromium", () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // ADMIN_RIGHTS_ALL: the admin sees other users' keys and sessions; a low per-address login limit shows its message;
    // login tokens, so that their mail is among those whose links are followed.
    server = await startTestServer(databaseBackends()[0]!, { ADMIN_RIGHTS_ALL: "true", LOGIN_RATE_LIMIT_PER_USER_ADDRESS: "3", LOGIN_TOKENS_ENABLED: "true" });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const newUserId = (what: string) => `e2e-${what}-${process.pid % 1000}-${++seq}`;

  /** A user created by the admin, approved, address confirmed unless said otherwise. */
  async function createUser(userId: string, options: { state?: State; email?: string; name?: string } = {}): Promise<void> {
    await server.client(UserRegistry, "connect", server.adminKey).create({
      user: {
        ids: { userId }, primaryEmailAddress: options.email ?? `${userId}@example.com`, password: PASSWORD, name: options.name ?? "",
        state: options.state ?? State.APPROVED, primaryEmailAddressValidatedAt: timestampNow(),
      },
    });
  }

  /** A fresh page at `viewport` (see inFreshPage); confirm() prompts are answered yes. */
  const withPage = (viewport: keyof typeof VIEWPORTS, name: string, steps: Parameters<typeof inFreshPage>[2]) =>
    inFreshPage(browser, { baseURL: server.baseUrl, viewport: VIEWPORTS[viewport], name: `${viewport}-${name}`, acceptDialogs: true }, steps);
  const mailedLink = (to: string, page: string) => mailedLinkOf(server, to, page);

  async function logIn(page: Page, userId: string, password = PASSWORD): Promise<void> {
    await page.goto("/console/");
    const form = page.locator("#login-form");
    await form.locator("input[name=user_id]").fill(userId);
    await form.locator("input[name=password]").fill(password);
    await form.locator("button[type=submit]").click();
    await page.locator(`.who[data-user-id="${userId}"]`).waitFor({ state: "attached" });
  }

  /** Goes to a console page by its hash route (as a link would). */
  async function open(page: Page, route: string, ready: string): Promise<void> {
    await page.evaluate((r) => { location.hash = `#/${r}`; }, route);
    await page.locator(ready).first().waitFor();
  }

  /** The page is no wider than the viewport: nothing needs sideways scrolling. */
  const pageWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

  /** Controls without a name for assistive technology (no label, aria-label, aria-labelledby, or text on a button or link). */
  const unlabelled = (page: Page) => page.evaluate(() =>
    Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea, button, a[href]")).filter((el) => {
      if (el.getAttribute("aria-label")?.trim() || el.getAttribute("aria-labelledby")) return false;
      if (el instanceof HTMLButtonElement || el instanceof HTMLAnchorElement) return !el.textContent?.trim();
      return !(el as HTMLInputElement).labels?.length;
    }).map((el) => el.outerHTML.slice(0, 160)));

  for (const viewport of Object.keys(VIEWPORTS) as (keyof typeof VIEWPORTS)[]) {
    const width = VIEWPORTS[viewport].width;

    it(`recovers a forgotten password from the login page on the ${viewport}`, async () => {
      const userId = newUserId("forgot");
      await createUser(userId);
      await withPage(viewport, "forgot-password", async (page, shot) => {
        await page.goto("/console/");
        await page.locator("#login-form").waitFor();
        expect(await page.title()).toBe("Log in · Identity console");
        await page.getByRole("link", { name: "Forgot password?" }).click();
        const form = page.locator("#forgot-password-form");
        await form.locator("input[name=user_id]").fill(userId);
        await shot("01-form");
        await form.locator("button[type=submit]").click();
        await page.locator("#forgot-password-done").waitFor();
        expect(await page.title()).toBe("Forgot password · Identity console");
        await shot("02-sent");

        const link = await mailedLink(`${userId}@example.com`, "update-password");
        await page.goto(link.pathname + link.search);
        const update = page.locator("#update-password-form");
        await update.waitFor();
        expect(await update.locator("input[name=user_id]").inputValue()).toBe(userId);
        await expect.poll(() => update.locator(".password-rules").textContent()).toContain("at least 8 characters");
        await update.locator("input[name=new]").fill("Recovered-Passw0rd");
        await update.locator("button[type=submit]").click();
        await page.locator("#update-password-done").waitFor();
        await page.locator("#login-form input[name=password]").fill("Recovered-Passw0rd");
        await page.locator("#login-form button[type=submit]").click();
        await page.locator(`.who[data-user-id="${userId}"]`).waitFor({ state: "attached" });
        await shot("03-logged-in");
        expect(await pageWidth(page)).toBeLessThanOrEqual(width);
      });
    }, 60_000);

    it(`confirms a new account's e-mail address from the mailed link on the ${viewport}`, async () => {
      const userId = newUserId("signup");
      const email = `${userId}@example.com`;
      await withPage(viewport, "confirm-email", async (page, shot) => {
        await page.goto("/console/#/register");
        const form = page.locator("#register-form");
        // The rules are there before typing; a bad user ID gets a sentence, not a regular expression.
        await expect.poll(() => form.locator(".password-rules").textContent()).toMatch(/at least 8 characters, with at least 1 uppercase letter and 1 digit/);
        await form.locator("input[name=user_id]").fill("Bad_ID");
        await form.locator("input[name=primary_email_address]").fill(email);
        await form.locator("input[name=password]").fill(PASSWORD);
        await form.locator("button[type=submit]").click();
        const idError = form.locator('[data-error-for="user_id"]');
        await expect.poll(() => idError.textContent()).toContain("lowercase letters, digits and dashes");
        expect(await page.locator("#view").textContent()).not.toMatch(/regex|pkg\/|\^\[/);
        await shot("01-id-error");
        await form.locator("input[name=user_id]").fill(userId);
        await form.locator("button[type=submit]").click();
        await page.locator("#register-done").waitFor();

        const link = await mailedLink(email, "validate");
        await page.goto(link.pathname + link.search);
        await page.locator("#validate-done").waitFor();
        expect(page.url()).not.toContain("token=");
        expect(await page.title()).toBe("Confirm e-mail address · Identity console");
        await shot("02-confirmed");
        const stored = await server.client(UserRegistry, "connect", server.adminKey).get({ userIds: { userId }, fieldMask: { paths: ["primary_email_address_validated_at"] } });
        expect(stored.primaryEmailAddressValidatedAt).toBeDefined();

        await logIn(page, userId);
        await page.locator('#email-status [data-validated="true"]').waitFor();
        await shot("03-profile");
      });
    }, 60_000);

    it(`fits the ${viewport} with collapsible navigation, page titles, labelled controls and a reachable Log out`, async () => {
      await withPage(viewport, "layout", async (page, shot) => {
        for (const route of ["", "#/register", "#/forgot-password", "#/update-password", "#/validate"]) {
          await page.goto(`/console/${route}`);
          await page.locator("#view form").first().waitFor();
          expect(await unlabelled(page), `logged-out page ${route || "log in"}`).toEqual([]);
        }
        await logIn(page, "admin-user", ADMIN_PASSWORD);
        const toggle = page.locator("button.menu-toggle");
        const nav = page.locator("nav.side");
        expect(await toggle.isVisible()).toBe(viewport === "phone");
        expect(await nav.isVisible()).toBe(viewport === "desktop");
        const logout = page.getByRole("button", { name: "Log out" });
        const box = (await logout.boundingBox())!;
        expect(box.x + box.width).toBeLessThanOrEqual(width);
        const routes = [["profile", "Profile"], ["api-keys", "API keys"], ["sessions", "Sessions"], ["notifications", "Notifications"], ["admin/users", "Users"], ["admin/invitations", "Invitations"], ["admin/login-tokens", "Login tokens"]] as const;
        for (const [route, title] of routes) {
          if (viewport === "phone") {
            await toggle.click();
            expect(await toggle.getAttribute("aria-expanded")).toBe("true");
          }
          await nav.locator(`a[href="#/${route}"]`).click();
          await page.locator(`section.view[data-view="${route}"]`).waitFor();
          await page.waitForLoadState("networkidle");
          expect(await page.title()).toBe(`${title} · Identity console`);
          expect(await page.locator("h1.view-title").textContent()).toBe(title);
          if (viewport === "phone") expect(await nav.isVisible()).toBe(false); // closes after choosing
          expect(await pageWidth(page), `${route} is wider than the screen`).toBeLessThanOrEqual(width);
          expect(await unlabelled(page), `unlabelled controls on ${route}`).toEqual([]);
          await shot(route.replace("/", "-"));
        }
        if (viewport === "phone") await toggle.click();
        expect(await page.locator("select[name=transport]").count()).toBe(1); // a developer setting, for admins only
      });
    }, 90_000);

    it(`shows notifications as sentences with an unread badge, marks them read and archives them on the ${viewport}`, async () => {
      const userId = newUserId("notified");
      await createUser(userId);
      await createUserKey(server, server.adminKey, userId, [Right.USER_INFO], { name: "from the admin" });
      await server.settle();
      await withPage(viewport, "notifications", async (page, shot) => {
        await logIn(page, userId);
        expect(await page.locator("select[name=transport]").count()).toBe(0); // no protocol selector for users
        const badge = page.locator(".bell .count");
        await expect.poll(() => badge.textContent()).toBe("1");
        expect(await page.locator(".bell").getAttribute("aria-label")).toBe("Notifications, 1 unread");
        await page.locator(".bell").click();
        const item = page.locator("li.notification.unseen");
        await item.waitFor();
        expect(await item.locator(".sentence").textContent()).toContain("A new API key “from the admin” was created for your account with 1 right");
        expect(await item.locator("time").count()).toBe(1);
        await shot("01-unread");
        await item.getByRole("button", { name: /^Mark as read/ }).click();
        await page.locator("li.notification:not(.unseen)").waitFor();
        await expect.poll(() => badge.isVisible()).toBe(false);
        await page.locator("li.notification").getByRole("button", { name: /^Archive/ }).click();
        await page.locator("#notifications").waitFor({ state: "detached" });
        await page.locator("#notification-filter").selectOption("archived");
        await page.locator("li.notification").waitFor();
        await shot("02-archived");
        expect(await pageWidth(page)).toBeLessThanOrEqual(width);
      });
    }, 60_000);

    it(`creates API keys from presets and shows a missing choice in view on the ${viewport}`, async () => {
      const userId = newUserId("keys");
      await createUser(userId);
      await withPage(viewport, "api-keys", async (page, shot) => {
        await logIn(page, userId);
        // The notification e-mail's upstream Console link opens this console's API key page.
        await page.goto("/console/user/api-keys/SOMEKEYID");
        await page.locator("#api-key-form").waitFor();
        expect(new URL(page.url()).hash).toBe("#/api-keys");
        const form = page.locator("#api-key-form");
        await form.locator("input[name=name]").fill("nothing chosen");
        await form.locator('input[name=preset][value="custom"]').check();
        expect(await form.locator(".right-description").filter({ hasText: "Change your name, description and e-mail address." }).count()).toBe(1);
        await form.locator("button[type=submit]").click();
        const error = form.locator('[data-error-for="rights"]');
        await expect.poll(() => error.textContent()).toBe("Choose at least one right.");
        await expect.poll(() => error.evaluate((el) => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })).toBe(true);
        await shot("01-no-rights");
        await form.locator('input[name=preset][value="read-only"]').check();
        await form.locator("button[type=submit]").click();
        const row = page.locator('#api-keys tr[data-name="nothing chosen"]');
        await row.waitFor();
        expect(await row.locator(".rights-cell").getAttribute("data-rights")).toContain("USER_INFO");
        expect(await row.locator(".rights-cell").textContent()).toContain("Read profile");
        await expect.poll(() => page.getByRole("button", { name: "Delete API key nothing chosen" }).count()).toBe(1);
        await shot("02-read-only");
        expect(await pageWidth(page)).toBeLessThanOrEqual(width);
      });
    }, 60_000);

    it(`lists sessions with browser and address and signs out all others on the ${viewport}`, async () => {
      const userId = newUserId("sessions");
      await createUser(userId);
      const other = await browser.newContext({ baseURL: server.baseUrl });
      try {
        await logIn(await other.newPage(), userId);
        await withPage(viewport, "sessions", async (page, shot) => {
          await logIn(page, userId);
          await open(page, "sessions", "#sessions tr.current");
          const rows = page.locator("#sessions tbody tr");
          expect(await rows.count()).toBe(2);
          const current = page.locator("#sessions tr.current");
          expect(await current.locator("td").nth(0).textContent()).toMatch(/Chrome \d+ on Linux/);
          expect(await current.locator("td").nth(1).textContent()).toBe("127.0.0.1");
          await shot("01-two-sessions");
          await page.locator("#end-other-sessions").click();
          await expect.poll(() => page.locator(".form-message.ok").textContent()).toBe("Signed out 1 other session.");
          await expect.poll(() => rows.count()).toBe(1);
          await shot("02-others-ended");
          expect(await pageWidth(page)).toBeLessThanOrEqual(width);
        });
        const otherPage = other.pages()[0]!;
        expect(await otherPage.evaluate(async () => (await fetch("/oauth/api/me", { credentials: "include" })).status)).toBe(401);
      } finally {
        await other.close();
      }
    }, 60_000);

    it(`lets an admin find users by e-mail, filter by state and admin in the address, approve, reject and reset a password on the ${viewport}`, async () => {
      const found = newUserId("found");
      const requested = newUserId("requested");
      const refused = newUserId("refused");
      const colleague = newUserId("colleague");
      await createUser(found, { email: `${found}@findme.example.org`, name: "Found Person" });
      await createUser(requested, { state: State.REQUESTED });
      await createUser(refused, { state: State.REQUESTED });
      await server.client(UserRegistry, "connect", server.adminKey).create({
        user: { ids: { userId: colleague }, primaryEmailAddress: `${colleague}@example.com`, password: PASSWORD, admin: true, state: State.APPROVED, primaryEmailAddressValidatedAt: timestampNow() },
      });
      // What the user's page lists: an API key and a browser session of the user.
      await createUserKey(server, server.adminKey, found, [Right.USER_INFO], { name: "found key" });
      const foundLogin = await fetch(`${server.baseUrl}/oauth/api/auth/login`, {
        method: "POST", headers: { "content-type": "application/json", origin: server.baseUrl }, body: JSON.stringify({ user_id: found, password: PASSWORD }),
      });
      expect(foundLogin.status).toBe(204);
      await withPage(viewport, "admin", async (page, shot) => {
        await logIn(page, "admin-user", ADMIN_PASSWORD);
        await open(page, "admin/users", "#user-search");
        await page.locator("#user-search input[name=query]").fill(`${found}@findme`);
        await page.locator("#user-search button[type=submit]").click();
        await page.locator(`#users tr[data-user-id="${found}"]`).waitFor();
        expect(decodeURIComponent(new URL(page.url()).hash)).toBe(`#/admin/users?q=${found}@findme`);
        await page.reload();
        await page.locator(`#users tr[data-user-id="${found}"]`).waitFor();
        expect(await page.locator("#user-search input[name=query]").inputValue()).toBe(`${found}@findme`);
        await shot("01-search-by-email");

        await page.locator("#user-search input[name=query]").fill("");
        await page.locator("#user-search select[name=state]").selectOption("requested");
        await page.locator("#user-search button[type=submit]").click();
        const row = page.locator(`#users tr[data-user-id="${requested}"]`);
        await row.waitFor();
        expect(new URL(page.url()).hash).toBe("#/admin/users?state=requested");
        await shot("02-requested");
        await page.getByRole("button", { name: `Approve ${requested}` }).click();
        await expect.poll(() => page.locator(".form-message.ok").textContent()).toBe(`${requested} approved.`);
        const stateOf = async (userId: string) =>
          (await server.client(UserRegistry, "connect", server.adminKey).get({ userIds: { userId }, fieldMask: { paths: ["state"] } })).state;
        expect(await stateOf(requested)).toBe(State.APPROVED);
        await page.getByRole("button", { name: `Reject ${refused}` }).click();
        await expect.poll(() => page.locator(".form-message.ok").textContent()).toBe(`${refused} rejected.`);
        expect(await stateOf(refused)).toBe(State.REJECTED);
        await page.locator(`#users tr[data-user-id="${refused}"]`).waitFor({ state: "detached" });

        // Admins only: every admin (this test's colleague among them), nobody else, and the filter in the address.
        await page.locator("#user-search select[name=state]").selectOption({ label: "any state" });
        await page.locator("#user-search input[name=admin]").check();
        await page.locator("#user-search button[type=submit]").click();
        await page.locator(`#users tr[data-user-id="${colleague}"]`).waitFor();
        expect(new URL(page.url()).hash).toBe("#/admin/users?admin=1");
        const listed = await page.locator("#users tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-user-id")));
        expect(listed).toEqual(expect.arrayContaining(["admin-user", colleague]));
        expect(listed).not.toContain(found);
        expect(await page.locator("#users tbody tr td:nth-child(5)").allTextContents()).toEqual(listed.map(() => "yes"));
        expect(Number(await page.locator(".total").getAttribute("data-total"))).toBe(listed.length);
        await shot("02b-admins-only");
        await page.reload();
        await page.locator(`#users tr[data-user-id="${colleague}"]`).waitFor();
        expect(await page.locator("#user-search input[name=admin]").isChecked()).toBe(true);
        await open(page, `admin/users/${requested}`, "#user-state-history li");
        expect(await page.locator("#user-state-history li").evaluateAll((items) => items.map((li) => li.getAttribute("data-state")))).toEqual(["approved", "requested"]);

        await open(page, `admin/users/${found}`, "#user-summary");
        expect(await page.title()).toBe(`User ${found} · Identity console`);
        const keyRow = page.locator("#user-api-keys tr[data-api-key-id]");
        await keyRow.waitFor();
        expect(await keyRow.locator("td").allTextContents()).toEqual(expect.arrayContaining(["found key", "Read profile"]));
        await page.locator("#user-sessions tr[data-session-id]").waitFor();
        expect(await page.locator("#user-sessions tr[data-session-id]").count()).toBe(1);
        await page.getByRole("button", { name: `Send ${found} a password reset` }).click();
        await expect.poll(() => page.locator("#user-summary .form-message.ok").textContent()).toContain("temporary password was e-mailed");
        await mailedLink(`${found}@findme.example.org`, "update-password");
        await shot("03-user-page");
        expect(await pageWidth(page)).toBeLessThanOrEqual(width);
      });
    }, 90_000);

    it(`sends e-mails whose every link opens a working page, none about devices or gateways, on the ${viewport}`, async () => {
      const userId = newUserId("mailed");
      const email = `${userId}@example.com`;
      const invitee = `${userId}-invitee@example.com`;
      const changedPassword = "Changed-Passw0rd";
      const first = server.mail.length;
      // Every mail the server sends: the address confirmation and the admins' "awaits approval" (a requested user),
      // the state change (approved), API key created and changed, password changed, temporary password, login token
      // and invitation.
      const users = server.client(UserRegistry, "connect", server.adminKey);
      await users.create({ user: { ids: { userId }, primaryEmailAddress: email, password: PASSWORD, state: State.REQUESTED } });
      await users.update({ user: { ids: { userId }, state: State.APPROVED }, fieldMask: { paths: ["state"] } });
      const key = await createUserKey(server, server.adminKey, userId, [Right.USER_ALL], { name: "mailed key" });
      await server.client(UserAccess, "connect", server.adminKey).updateAPIKey({ userIds: { userId }, apiKey: { id: keyId(key), name: "renamed key" }, fieldMask: { paths: ["name"] } });
      await server.client(UserRegistry, "connect", key).updatePassword({ userIds: { userId }, old: PASSWORD, new: changedPassword });
      await server.client(UserRegistry, "connect").createTemporaryPassword({ userIds: { userId } });
      await server.client(UserAccess, "connect", server.adminKey).createLoginToken({ userIds: { userId } });
      await server.client(UserInvitationRegistry, "connect", server.adminKey).send({ email: invitee });
      await server.settle();
      const mails = server.mail.slice(first).filter((m) => m.to === email || m.to === invitee || (m.to === "admin@example.com" && m.text.includes(userId)));
      expect(mails.map((m) => m.subject.replace(/ (for|on|to join) .*$/, "")).sort()).toEqual([
        "A new API key has been created", "A new user has requested", "An API key of your user has been changed",
        "Please confirm your e-mail address", "The state of your user", "You have been invited", "Your login link",
        "Your password", "Your temporary password",
      ]);
      // What a reader sees: the HTML without its markup (whose viewport meta says "device-width").
      for (const m of mails) expect(`${m.subject}\n${m.text}\n${m.html.replace(/<[^>]*>/g, " ")}`, m.subject).not.toMatch(/devices?\b|gateways?\b/i);

      // Each distinct link, opened by its recipient (logged in where the page needs it), shows a working page.
      const links = new Map<string, string>(); // link → recipient
      for (const m of mails) for (const link of m.text.match(/https?:\/\/[^\s"<>]+/g) ?? []) if (!links.has(link)) links.set(link, m.to);
      const accounts: Record<string, [string, string] | undefined> = { [email]: [userId, changedPassword], "admin@example.com": ["admin-user", ADMIN_PASSWORD] };
      let n = 0;
      for (const [link, to] of links) {
        const url = new URL(link);
        const account = url.pathname.startsWith("/console") ? accounts[to] : undefined;
        await withPage(viewport, `mail-link-${++n}`, async (page, shot) => {
          if (account) await logIn(page, ...account);
          await page.goto(url.pathname + url.search);
          switch (true) {
            case url.pathname === "/oauth/validate":
              await page.locator("#validate-done").waitFor();
              break;
            case url.pathname === "/oauth/update-password":
              expect(await page.locator("#update-password-form input[name=user_id]").inputValue()).toBe(userId);
              break;
            case url.pathname === "/oauth/register":
              expect(await page.locator("#register-form input[name=invitation_token]").inputValue()).not.toBe("");
              break;
            case url.pathname === "/oauth/token-login": {
              // The mailed token logs the user in.
              const form = page.locator("#token-login-form");
              expect(await form.locator("input[name=token]").inputValue()).not.toBe("");
              await form.locator("button[type=submit]").click();
              await page.locator(`.who[data-user-id="${userId}"]`).waitFor({ state: "attached" });
              break;
            }
            case url.pathname === "/oauth" || (!account && url.pathname.replace(/\/$/, "") === "/console"):
              await page.locator("#login-form").waitFor();
              break;
            case url.pathname.startsWith("/console/admin-panel/user-management/"):
              await page.locator(`#user-summary`).waitFor();
              expect(new URL(page.url()).hash).toBe(`#/admin/users/${userId}`);
              break;
            case url.pathname.startsWith("/console/user/api-keys/"):
              await page.locator('#api-keys tr[data-name="renamed key"]').waitFor();
              break;
            case url.pathname.replace(/\/$/, "") === "/console":
              await page.locator("#profile-form").waitFor();
              break;
            default:
              throw new Error(`a mail links to ${url.pathname}, which no check knows`);
          }
          expect(await page.title()).not.toMatch(/^Error/);
          expect(await pageWidth(page)).toBeLessThanOrEqual(width);
          await shot(url.pathname.split("/").filter(Boolean).slice(0, 3).join("-"));
        });
      }
      expect(n).toBeGreaterThanOrEqual(8);
    }, 120_000);

    it(`returns to the page with the unsaved form after the session ends on the ${viewport}`, async () => {
      const userId = newUserId("expired");
      await createUser(userId, { name: "Before" });
      await withPage(viewport, "session-expiry", async (page, shot) => {
        await logIn(page, userId);
        await open(page, "profile", "#profile-form");
        await page.locator("#profile-form input[name=name]").fill("Typed before expiry");
        // The session ends elsewhere (expiry, another tab, an admin): the next save finds it gone.
        const owner = await server.db.user.findFirstOrThrow({ where: { userId }, select: { id: true } });
        await server.db.userSession.deleteMany({ where: { userId: owner.id } });
        await page.locator("#profile-form button[type=submit]").click();
        await page.locator("#session-notice").waitFor();
        await shot("01-login-again");
        await page.locator("#login-form input[name=user_id]").fill(userId);
        await page.locator("#login-form input[name=password]").fill(PASSWORD);
        await page.locator("#login-form button[type=submit]").click();
        await page.locator("#profile-form").waitFor();
        expect(new URL(page.url()).hash).toBe("#/profile");
        expect(await page.locator("#profile-form input[name=name]").inputValue()).toBe("Typed before expiry");
        await shot("02-restored");
        await page.locator("#profile-form button[type=submit]").click();
        await expect.poll(() => page.locator("#profile-form .form-message").textContent()).toBe("Profile saved.");
      });
    }, 60_000);
  }

  it("fits the smallest supported phone (360 px) on every page, the user's page included", async () => {
    const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    try {
      await logIn(page, "admin-user", ADMIN_PASSWORD);
      for (const [route, ready] of [
        ["profile", "#profile-form"], ["api-keys", "#api-key-form"], ["sessions", "#sessions"], ["notifications", "section.view .toolbar"],
        ["admin/users", "#users"], ["admin/users/admin-user", "#user-summary"], ["admin/invitations", "#invitation-form"], ["admin/login-tokens", "#login-token-form"],
      ] as const) {
        await open(page, route, ready);
        await page.waitForLoadState("networkidle");
        expect(await pageWidth(page), `${route} is wider than 360 px`).toBeLessThanOrEqual(360);
        await page.screenshot({ path: path.join(SCREENSHOTS, `narrow-360-${route.replace(/\//g, "-")}.png`), fullPage: true });
      }
    } finally {
      await context.close();
    }
  }, 60_000);

  it("restricts an unconfirmed user under EMAIL_VALIDATION_REQUIRED until the mailed link is opened (phone)", async () => {
    const strict = await startTestServer(databaseBackends()[0]!, { EMAIL_VALIDATION_REQUIRED: "true" });
    const context = await browser.newContext({ baseURL: strict.baseUrl, viewport: VIEWPORTS.phone });
    const page = await context.newPage();
    const shot = (step: string) => page.screenshot({ path: path.join(SCREENSHOTS, `phone-validation-required-${step}.png`), fullPage: true });
    try {
      const userId = newUserId("strict");
      await strict.client(UserRegistry, "connect").create({ user: { ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: PASSWORD } });
      await page.goto("/console/");
      await page.locator("#login-form input[name=user_id]").fill(userId);
      await page.locator("#login-form input[name=password]").fill(PASSWORD);
      await page.locator("#login-form button[type=submit]").click();
      await page.locator("#validation-banner").waitFor();
      await page.evaluate(() => { location.hash = "#/api-keys"; });
      await expect.poll(() => page.locator("section.view .form-message.error").textContent()).toBe("Your account or key lacks the rights for this.");
      await shot("01-restricted");

      await strict.settle();
      const mail = strict.mail.find((m) => m.to === `${userId}@example.com` && m.text.includes("/oauth/validate?"))!;
      const link = new URL(/https?:\/\/\S+\/oauth\/validate\?\S+/.exec(mail.text)![0]);
      await page.goto(link.pathname + link.search);
      await page.locator("#validate-done").waitFor();
      await page.goto("/console/#/api-keys");
      await page.locator("#api-key-form").waitFor();
      await page.waitForLoadState("networkidle");
      expect(await page.locator("#validation-banner").count()).toBe(0);
      await shot("02-confirmed");
    } finally {
      await context.close();
      await strict.close();
    }
  }, 60_000);

  it("says how long to wait after too many wrong passwords, and serves /favicon.ico", async () => {
    const userId = newUserId("limited");
    await createUser(userId);
    await withPage("phone", "rate-limit", async (page, shot) => {
      await page.goto("/console/");
      const form = page.locator("#login-form");
      await form.locator("input[name=user_id]").fill(userId);
      const message = () => form.locator('[data-error-for="password"], .form-message').allTextContents().then((t) => t.join(" "));
      for (let attempt = 0; attempt < 3; attempt++) {
        await form.locator("input[name=password]").fill(`Wrong-Passw0rd${attempt}`);
        await form.locator("button[type=submit]").click();
        await expect.poll(message).toContain("do not match");
        await form.locator("[data-error-for=password]").evaluate((el) => { el.textContent = ""; });
      }
      await form.locator("input[name=password]").fill("Wrong-Passw0rd9");
      await form.locator("button[type=submit]").click();
      await expect.poll(message).toMatch(/Too many attempts\. Wait \d+ minutes and try again\./);
      expect(await message()).not.toMatch(/pkg\/|rate_limit|password_attempts/);
      await shot("01-wait");
    });
    const icon = await fetch(`${server.baseUrl}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toBe("image/x-icon");
  }, 60_000);
});
