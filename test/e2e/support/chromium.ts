// Debian's Chromium for the console's browser tests, driven by playwright-core (never a downloaded browser).
import { existsSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";

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
