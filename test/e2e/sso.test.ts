// Single sign-on in Chromium, on every database backend: the console's login page offers the provider, the user
// signs in and consents at a real OpenID Connect provider on loopback, and comes back logged in (on a desktop, where
// the profile then says the password lives at the provider); and an existing account is linked only once its
// password is entered on the console's link page (on a phone). Screenshots go to test-results/screenshots/.
import { mkdirSync } from "node:fs";
import { type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, inFreshPage, launchChromium, SCREENSHOTS, type Shot } from "./support/browser.js";
import { AuthenticationProviderRegistry } from "../../gen/tti/lorawan/v3/authentication_provider_pb.js";
import { ExternalUserRegistry } from "../../gen/tti/lorawan/v3/external_user_pb.js";
import { databaseBackends, startTestServer, type TestServer } from "../support/server.js";
import { registerUser, USER_PASSWORD } from "../support/users.js";
import { freePort } from "../sso/support/browser.js";
import { startTestIdp, type TestIdp } from "../sso/support/idp.js";


for (const backend of databaseBackends()) {
  describe.skipIf(!hasChromium)(`single sign-on in Chromium on ${backend.name}`, () => {
    let server: TestServer;
    let idp: TestIdp;
    let browser: Browser;

    beforeAll(async () => {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      idp = await startTestIdp({ clients: [{ clientId: "console-e2e", clientSecret: "e2e-secret", redirectUri: `${base}/oauth/login/corp/callback` }] });
      server = await startTestServer(backend, { PORT: String(port), PUBLIC_URL: base, AUTH_PROVIDER_SECRET_KEY: "e2".repeat(32) });
      await server.client(AuthenticationProviderRegistry, "connect", server.adminKey).create({ authenticationProvider: {
        ids: { providerId: "corp" }, name: "Corp Login", allowRegistrations: true,
        configuration: { provider: { case: "oidc", value: { clientId: "console-e2e", clientSecret: "e2e-secret", providerUrl: idp.issuer } } },
      } });
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
      await idp?.close();
    });

    /** From the console's login page through the provider's sign-in and consent pages, back to the console. */
    async function signInWithProvider(page: Page, account: string): Promise<void> {
      await page.goto("/console/");
      const button = page.locator('#sso-providers a[data-provider-id="corp"]');
      await expect.poll(() => button.textContent()).toBe("Sign in with Corp Login");
      await button.click();
      await page.locator("input[name=login]").fill(account);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.locator("#allow").click(); // consent at the provider
    }

    /** A fresh page (see inFreshPage) at a desktop or phone size. */
    const withPage = (name: string, viewport: "desktop" | "phone", steps: (page: Page, shot: Shot) => Promise<void>) =>
      inFreshPage(browser, {
        baseURL: server.baseUrl, viewport: viewport === "phone" ? { width: 390, height: 844 } : { width: 1280, height: 900 },
        name: `sso-${backend.name}-${viewport}-${name}`,
      }, steps);

    it("signs a new user in through the provider: click, consent, back, logged in (desktop)", async () => {
      idp.accounts.set("sub-e2e", { email: "e2e@corp.example", email_verified: true, preferred_username: "e2e-sso-user", name: "E2E User" });
      await withPage("register", "desktop", async (page, shot) => {
        await signInWithProvider(page, "sub-e2e");
        await page.locator('.who[data-user-id="e2e-sso-user"]').waitFor();
        expect(new URL(page.url()).pathname).toBe("/console/");
        await shot("01-logged-in");
        // No password here to change: the profile says where it is managed instead of offering the form.
        await page.locator("#external-sign-in").waitFor();
        expect(await page.locator("#external-sign-in").textContent()).toContain("You sign in with Corp Login.");
        expect(await page.locator("#password-form").count()).toBe(0);
        await shot("02-profile");
        // A real session: logging out ends it and shows the login page with the provider again.
        await page.locator("button.logout").click();
        await page.locator('#sso-providers a[data-provider-id="corp"]').waitFor();
      });
    });

    it("links an existing account with the same e-mail address after its password (phone)", async () => {
      await registerUser(server, "e2e-local"); // e2e-local@example.com
      idp.accounts.set("sub-local", { email: "e2e-local@example.com", email_verified: true, preferred_username: "someone-else" });
      await withPage("link", "phone", async (page, shot) => {
        await signInWithProvider(page, "sub-local");
        const form = page.locator("#link-account-form");
        await expect.poll(() => page.locator("#link-account h2").textContent()).toBe("Link Corp Login to your account");
        await form.locator("input[name=password]").fill("Wrong-Passw0rd");
        await form.locator("button[type=submit]").click();
        await expect.poll(() => form.locator('[data-error-for="password"]').textContent()).toContain("do not match");
        await shot("01-link-page");
        await form.locator("input[name=password]").fill(USER_PASSWORD);
        await form.locator("button[type=submit]").click();
        await page.locator('.who[data-user-id="e2e-local"]').waitFor({ state: "attached" });
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
        await shot("02-linked");
      });
      const link = await server.client(ExternalUserRegistry, "connect", server.adminKey).getByExternalID({ providerIds: { providerId: "corp" }, externalId: "sub-local" });
      expect(link.userIds?.userId).toBe("e2e-local");
    });
  });
}
