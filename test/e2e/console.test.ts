// The console in a real browser (Debian's Chromium driven by playwright-core), over both browser transports:
// log in, create an API key and see its secret once, delete it, change the profile, find a user as admin,
// log out; and, over Connect only, the pages of e-mailed links (register with an invitation, set a new password
// with a temporary one). Screenshots go to test-results/screenshots/ (kept by CI as artifacts).
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, inFreshPage, launchChromium, mailedLink, SCREENSHOTS } from "./support/browser.js";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { UserInvitationRegistry, UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { ADMIN_PASSWORD, databaseBackends, startTestServer, type TestServer } from "../support/server.js";


const TRANSPORTS = ["connect", "grpc-web"] as const;
const CONTENT_TYPE = { connect: "application/json", "grpc-web": "application/grpc-web+proto" };

async function logIn(page: Page, transport: string, userId: string, password: string): Promise<void> {
  await page.goto(`/console/?transport=${transport}`);
  const form = page.locator("#login-form");
  await form.locator("input[name=user_id]").fill(userId);
  await form.locator("input[name=password]").fill(password);
  await form.locator("button[type=submit]").click();
  await page.locator(`.who[data-user-id="${userId}"]`).waitFor();
}

describe.skipIf(!hasChromium)("web console in Chromium", () => {
  let server: TestServer;
  let browser: Browser;
  const someone = `e2e-someone-${process.pid % 1000}`;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // Registration by invitation only: registering from the console proves the e-mailed token reached the server.
    server = await startTestServer(databaseBackends()[0]!, { LOGIN_TOKENS_ENABLED: "true", USER_REGISTRATION_INVITATION_REQUIRED: "true" });
    await server.client(UserRegistry, "connect", server.adminKey).create({
      user: { ids: { userId: someone }, primaryEmailAddress: `${someone}@example.com`, name: "Someone Findable", password: "Someone-Passw0rd", state: State.APPROVED },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const transport of TRANSPORTS) {
    it(`logs in, manages an API key, edits the profile, searches users and logs out over ${transport}`, async () => {
      const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const rpcContentTypes = new Set<string>();
      const pageErrors: string[] = [];
      page.on("request", (r) => { if (/\/(ttn|tti)\.lorawan\.v3\./.test(r.url())) rpcContentTypes.add(r.headers()["content-type"] ?? ""); });
      page.on("pageerror", (e) => pageErrors.push(e.message));
      page.on("dialog", (d) => void d.accept());
      rmSync(path.join(SCREENSHOTS, `${transport}-failure.png`), { force: true });
      const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${transport}-${name}.png`), fullPage: true });

      try {
        // Log in: a wrong password is shown at the password field, then the right one gets in.
        await page.goto(`/console/?transport=${transport}`);
        const login = page.locator("#login-form");
        await login.locator("input[name=user_id]").fill("admin-user");
        await login.locator("input[name=password]").fill("wrong-Passw0rd");
        await login.locator("button[type=submit]").click();
        await expect.poll(() => login.locator('[data-error-for="password"]').textContent()).toContain("do not match");
        await shot("01-login-error");
        await login.locator("input[name=password]").fill(ADMIN_PASSWORD);
        await login.locator("button[type=submit]").click();
        await page.locator('.who[data-user-id="admin-user"]').waitFor();
        expect(await page.locator("select[name=transport]").inputValue()).toBe(transport);

        // API key: created with a right, its secret shown once, then deleted.
        await page.locator('nav a[href="#/api-keys"]').click();
        const form = page.locator("#api-key-form");
        await form.locator("input[name=name]").fill("e2e key");
        await form.locator('input[name=preset][value="custom"]').check();
        await form.locator('input[name=rights][value="USER_SETTINGS_BASIC"]').check();
        await form.locator("button[type=submit]").click();
        const secret = page.locator(".api-key-secret");
        await secret.waitFor();
        expect(await secret.textContent()).toMatch(/^NNSXS\.[A-Z0-9]+\.[A-Z0-9]+$/);
        const row = page.locator('#api-keys tr[data-name="e2e key"]');
        await row.waitFor();
        expect(await row.locator(".rights-cell").getAttribute("data-rights")).toBe("USER_SETTINGS_BASIC");
        expect(await row.locator(".rights-cell").textContent()).toBe("Change profile");
        await shot("02-api-key-created");
        await page.getByRole("button", { name: "I have copied it" }).click();
        expect(await page.locator(".api-key-secret").count()).toBe(0);
        expect(await page.content()).not.toContain("NNSXS.");
        await row.getByRole("button", { name: "Delete" }).click();
        await row.waitFor({ state: "detached" });
        await shot("03-api-key-deleted");

        // Profile: a bad e-mail is shown at its field; a new name is saved.
        await page.locator('nav a[href="#/profile"]').click();
        const profile = page.locator("#profile-form");
        const email = profile.locator("input[name=primary_email_address]");
        const originalEmail = await email.inputValue();
        await email.fill("not-an-email");
        await profile.locator("button[type=submit]").click();
        await expect.poll(() => profile.locator('[data-error-for="primary_email_address"]').textContent()).not.toBe("");
        expect(await email.getAttribute("aria-invalid")).toBe("true");
        await shot("04-profile-field-error");
        await email.fill(originalEmail);
        const newName = `Admin via ${transport}`;
        await profile.locator("input[name=name]").fill(newName);
        await profile.locator("button[type=submit]").click();
        await expect.poll(() => profile.locator(".form-message").textContent()).toBe("Profile saved.");
        const saved = await server.client(UserRegistry, "grpc", server.adminKey).get({ userIds: { userId: "admin-user" }, fieldMask: { paths: ["name"] } });
        expect(saved.name).toBe(newName);
        await shot("05-profile-saved");

        // Admin: the user list shows the total; a search finds the other user.
        await page.locator('nav a[href="#/admin/users"]').click();
        await page.locator("#users").waitFor();
        expect(Number(await page.locator(".total").getAttribute("data-total"))).toBeGreaterThanOrEqual(2);
        await page.locator("#user-search input[name=query]").fill(someone);
        await page.locator("#user-search button[type=submit]").click();
        await page.locator(`#users tr[data-user-id="${someone}"]`).waitFor();
        expect(await page.locator(".total").textContent()).toContain(`matching “${someone}”`);
        await shot("06-admin-search");

        // Logout: back at the login form, and the session no longer works.
        await page.getByRole("button", { name: "Log out" }).click();
        await page.locator("#login-form").waitFor();
        const me = await page.evaluate(async () => (await fetch("/oauth/api/me", { credentials: "include" })).status);
        expect(me).toBe(401);
        await shot("07-logged-out");

        expect([...rpcContentTypes]).toEqual([CONTENT_TYPE[transport]]);
        expect(pageErrors).toEqual([]);
      } catch (err) {
        await shot("failure").catch(() => {});
        throw err;
      } finally {
        await context.close();
      }
    }, 90_000);

    it(`logs a user in with a login token an admin issued over ${transport}`, async () => {
      const adminContext = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 800 } });
      const userContext = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 800 } });
      const admin = await adminContext.newPage();
      const user = await userContext.newPage();
      const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${transport}-${name}.png`), fullPage: true });
      try {
        await logIn(admin, transport, "admin-user", ADMIN_PASSWORD);
        await admin.locator('nav a[href="#/admin/login-tokens"]').click();
        const form = admin.locator("#login-token-form");
        await form.locator("input[name=user_id]").fill(someone);
        await form.locator("input[name=skip_email]").check();
        await form.locator("button[type=submit]").click();
        const token = (await admin.locator(".login-token").textContent())!.trim();
        expect(token).not.toBe("");
        await shot(admin, "08-login-token-issued");

        await user.goto(`/console/?transport=${transport}`);
        const tokenForm = user.locator("#token-login-form");
        await tokenForm.locator("input[name=token]").fill("not-a-token");
        await tokenForm.locator("button[type=submit]").click();
        await expect.poll(() => tokenForm.locator('[data-error-for="token"]').textContent()).toContain("not valid");
        await tokenForm.locator("input[name=token]").fill(token);
        await tokenForm.locator("button[type=submit]").click();
        await user.locator(`.who[data-user-id="${someone}"]`).waitFor();
        expect(await user.locator('nav a[href="#/admin/users"]').count()).toBe(0); // not an admin
        await user.locator('nav a[href="#/sessions"]').click();
        await user.locator("#sessions tr.current").waitFor();
        await shot(user, "09-token-login-sessions");
      } finally {
        await adminContext.close();
        await userContext.close();
      }
    }, 90_000);
  }
  // The pages e-mails link to: over the default transport only (the tests above cover both).
  /** Runs `steps` in a fresh logged-out page (see inFreshPage). */
  const withLoggedOutPage = (name: string, steps: Parameters<typeof inFreshPage>[2]) =>
    inFreshPage(browser, { baseURL: server.baseUrl, viewport: { width: 1280, height: 900 }, name }, steps);

  it("registers through an e-mailed invitation link, then logs the new user in", async () => {
    const email = `invitee-${process.pid % 1000}@example.com`;
    const newUser = `e2e-invitee-${process.pid % 1000}`;
    const invitations = server.client(UserInvitationRegistry, "connect", server.adminKey);
    const sent = await invitations.send({ email });
    await server.settle();
    const link = await mailedLink(server, email, "register");
    expect(link.searchParams.get("invitation_token")).toBe(sent.token);

    await withLoggedOutPage("register", async (page, shot) => {
      await page.goto(link.pathname + link.search);
      const form = page.locator("#register-form");
      await form.waitFor();
      expect(await form.locator("input[name=invitation_token]").inputValue()).toBe(sent.token);
      expect(page.url()).not.toContain(sent.token); // taken out of the address bar
      expect(new URL(page.url()).hash).toBe("#/register");

      // A weak password is shown at its field; then the account is created.
      await form.locator("input[name=user_id]").fill(newUser);
      await form.locator("input[name=primary_email_address]").fill(email);
      await form.locator("input[name=password]").fill("weak");
      await form.locator("button[type=submit]").click();
      await expect.poll(() => form.locator('[data-error-for="password"]').textContent()).toMatch(/^The password must be at least 8 characters/);
      await shot("01-field-error");
      await form.locator("input[name=password]").fill("Invitee-Passw0rd");
      await form.locator("input[name=name]").fill("Invited Person");
      await form.locator("button[type=submit]").click();
      const created = page.locator("#register-done");
      await created.waitFor();
      expect(await created.getAttribute("data-state")).toBe("APPROVED");
      expect(await created.textContent()).toContain("You can log in now");
      await shot("02-created");

      await logInFromPrefilledForm(page, newUser, "Invitee-Passw0rd");
      expect(new URL(page.url()).hash).toBe("");
      await shot("03-logged-in");

      const { invitations: listed } = await invitations.list({});
      expect(listed.find((i) => i.email === email)?.acceptedBy?.userId).toBe(newUser);
    });
  }, 60_000);

  /** The login form shown after registering or setting a password carries the user ID already. */
  async function logInFromPrefilledForm(page: Page, userId: string, password: string): Promise<void> {
    const login = page.locator("#login-form");
    expect(await login.locator("input[name=user_id]").inputValue()).toBe(userId);
    await login.locator("input[name=password]").fill(password);
    await login.locator("button[type=submit]").click();
    await page.locator(`.who[data-user-id="${userId}"]`).waitFor();
  }

  it("sets a new password through an e-mailed temporary-password link, then logs in with it", async () => {
    const userId = `e2e-forgetful-${process.pid % 1000}`;
    const email = `${userId}@example.com`;
    await server.client(UserRegistry, "connect", server.adminKey).create({
      user: { ids: { userId }, primaryEmailAddress: email, password: "Forgotten-Passw0rd", state: State.APPROVED },
    });
    await server.client(UserRegistry, "connect").createTemporaryPassword({ userIds: { userId } }); // anonymous, as upstream
    await server.settle();
    const link = await mailedLink(server, email, "update-password");
    const temporary = link.searchParams.get("current")!;
    expect(link.searchParams.get("user")).toBe(userId);
    expect(temporary).not.toBe("");

    await withLoggedOutPage("update-password", async (page, shot) => {
      await page.goto(link.pathname + link.search);
      const form = page.locator("#update-password-form");
      await form.waitFor();
      expect(await form.locator("input[name=user_id]").inputValue()).toBe(userId);
      expect(await form.locator("input[name=old]").inputValue()).toBe(temporary);
      expect(await form.locator("input[name=old]").getAttribute("type")).toBe("password");
      expect(page.url()).not.toContain(temporary);
      expect(page.url()).not.toContain("user=");
      await form.locator("input[name=new]").fill("Remembered-Passw0rd");
      await shot("01-prefilled");
      await form.locator("button[type=submit]").click();
      await page.locator("#update-password-done").waitFor();
      await shot("02-changed");

      await logInFromPrefilledForm(page, userId, "Remembered-Passw0rd");
      await shot("03-logged-in");

      // A second temporary password, its link opened in the browser that is now logged in: the same form, and
      // the session that changed the password stays.
      await server.client(UserRegistry, "connect").createTemporaryPassword({ userIds: { userId } });
      await server.settle();
      await expect.poll(async () => (await mailedLink(server, email, "update-password")).searchParams.get("current")).not.toBe(temporary);
      const again = await mailedLink(server, email, "update-password");
      await page.goto(again.pathname + again.search);
      const loggedInForm = page.locator("#update-password-form");
      await loggedInForm.waitFor();
      expect(await loggedInForm.locator("input[name=old]").inputValue()).toBe(again.searchParams.get("current"));
      expect(await page.title()).toContain("Set a new password");
      await loggedInForm.locator("input[name=new]").fill("Remembered-Again-Passw0rd");
      await loggedInForm.locator("button[type=submit]").click();
      await page.locator("#update-password-done").waitFor();
      await shot("04-changed-while-logged-in");
      await page.locator("#update-password-done a[href='#/profile']").click();
      await page.locator(`.who[data-user-id="${userId}"]`).waitFor();
      await page.locator('[data-view="profile"]').waitFor();
    });
  }, 60_000);
});
