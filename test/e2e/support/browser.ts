// Debian's Chromium for the console's browser tests, driven by playwright-core (never a downloaded browser), and
// what every browser test does around its steps.
import { existsSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";
import type { TestServer } from "../../support/server.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`console e2e tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium; CI installs it)`);

/** Where the tests leave screenshots (CI keeps them as artifacts). */
export const SCREENSHOTS = path.resolve("test-results/screenshots");

/** Headless, no sandbox (containers), no GPU, and none of the browser's own background traffic. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

export type Shot = (step: string) => Promise<unknown>;

/**
 * Runs `steps` in a fresh context and page: page errors fail the test, a failure leaves `<name>-failure.png`,
 * and `shot(step)` keeps `<name>-<step>.png`. With `acceptDialogs`, confirm() prompts are answered yes.
 */
export async function inFreshPage(
  browser: Browser,
  options: { baseURL: string; viewport: { width: number; height: number }; name: string; acceptDialogs?: boolean },
  steps: (page: Page, shot: Shot, context: BrowserContext) => Promise<void>,
): Promise<void> {
  const context = await browser.newContext({ baseURL: options.baseURL, viewport: options.viewport });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  if (options.acceptDialogs) page.on("dialog", (d) => void d.accept());
  const shot: Shot = (step) => page.screenshot({ path: path.join(SCREENSHOTS, `${options.name}-${step}.png`), fullPage: true });
  try {
    await steps(page, shot, context);
  } catch (err) {
    await shot("failure").catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
  expect(pageErrors).toEqual([]);
}

/** The link to `/oauth/<page>?…` in the newest mail the server captured for `to`, once it arrives. */
export async function mailedLink(server: TestServer, to: string, page: string): Promise<URL> {
  const find = () => server.mail.filter((m) => m.to === to)
    .map((m) => new RegExp(`https?://\\S+/oauth/${page}\\?[^\\s"<]+`).exec(m.text)?.[0]).filter(Boolean).at(-1);
  await expect.poll(find).toBeDefined();
  return new URL(find()!);
}
