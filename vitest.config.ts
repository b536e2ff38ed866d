import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds the SDK and the console when stale (test/sdk and test/e2e use them as users would).
    globalSetup: ["test/support/build-artifacts.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Each file starts its own servers and databases; two cores run two files at a time.
    pool: "forks",
    maxWorkers: 2,
  },
});
