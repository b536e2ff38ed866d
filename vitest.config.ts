import { defineConfig } from "vitest/config";

// Three suites, each a Vitest project:
// - main   (`npm test`): domain, store, business rules and protocol suites; fast, run on every change.
// - e2e    (`npm run test:e2e`): the console in Debian's Chromium.
// - system (`npm run test:system`): whole-system checks (hostile clients, several instances, packaging, README).
// CI runs all three.
export default defineConfig({
  test: {
    // Builds the SDK and the console when stale (test/sdk and test/e2e use them as users would).
    globalSetup: ["test/support/build-artifacts.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Each file starts its own servers and databases; two cores run two files at a time.
    pool: "forks",
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "main",
          include: ["test/**/*.test.ts"],
          setupFiles: ["test/support/password-hashing.ts", "test/support/embedded-pool.ts"],
          // The files of a worker share one process and its loaded modules: a fresh process per file cost ~1.5 s of
          // imports and several seconds of first-use compiling (PGlite's and Prisma's WebAssembly, validation rules) each time.
          // Files do not depend on module state: every server is built by startTestServer from its own config.
          isolate: false,
          // `*.postgres.test.ts` has nothing to run on the embedded database: left out without TEST_DATABASE_URL
          // rather than reported as skipped.
          exclude: ["test/e2e/**", "test/system/**", ...(process.env.TEST_DATABASE_URL ? [] : ["test/**/*.postgres.test.ts"])],
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          // A page reacts after a server round trip (a password check alone takes a while on a busy machine):
          // expect.poll's default second is too short for that; 10 s only costs time when a test fails anyway.
          expect: { poll: { timeout: 10_000 } },
        },
      },
      { extends: true, test: { name: "system", include: ["test/system/**/*.test.ts"] } },
    ],
  },
});
