// Credentials for RPCs: an API key (or any bearer token) in the `authorization` header. Browser apps on the
// server's origin use the session cookie instead, which needs no header (`credentials: "include"`).
import type { Interceptor } from "@connectrpc/connect";

/** Sends `Authorization: Bearer <token>` with every call; `token` is an API key or an `ONZW4…` session token. */
export function bearerAuth(token: string | (() => string | undefined)): Interceptor {
  return (next) => (req) => {
    const value = typeof token === "function" ? token() : token;
    if (value) req.header.set("authorization", /^bearer /i.test(value) ? value : `Bearer ${value}`);
    return next(req);
  };
}

/** A fetch that sends cookies along (the browser session), also to another origin that allows it via CORS. */
export function fetchWithCredentials(credentials: RequestCredentials, base: typeof globalThis.fetch = globalThis.fetch): typeof globalThis.fetch {
  return (input, init) => base(input, { ...init, credentials });
}
