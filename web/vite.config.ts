// The console: a static single-page app under /console/, served by the identity server itself (server/console.ts).
// `npm run build:console` writes web/dist; `npx vite --config web/vite.config.ts` serves it for development,
// proxying the API to API_URL (default http://localhost:1885) so the cookie stays same-origin.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const api = process.env.API_URL ?? "http://localhost:1885";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/console/",
  logLevel: "warn",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, target: "es2022" },
  server: {
    proxy: {
      "/oauth/api": api,
      "/oauth/login": api, // single sign-on: the browser leaves for the provider and comes back here
      "/api/v3": api,
      "^/(ttn|tti)\\.lorawan\\.v3\\.": api,
    },
  },
});
