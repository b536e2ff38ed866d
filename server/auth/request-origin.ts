// Cross-site request forgery protection for cookie-authenticated requests, without a token round trip: browsers
// say where a request comes from (Origin, Sec-Fetch-Site); non-browser clients send neither and are unaffected.
import * as errors from "../domain/error-catalog.js";

export interface OriginPolicy {
  /** PUBLIC_URL: its origin is ours. */
  publicUrl: string;
  /** CORS_ORIGINS: browser apps explicitly allowed to use the cookie. "*" never counts (no credentials). */
  corsOrigins: readonly string[];
}

export interface RequestOrigin {
  origin?: string | null;
  secFetchSite?: string | null;
  /** The origin the request was addressed to (scheme://Host), as the browser saw it. */
  selfOrigin?: string;
}

function trusted(origin: string, request: RequestOrigin, policy: OriginPolicy): boolean {
  if (origin === "null") return false; // sandboxed frames, file: pages, some redirects
  if (origin === request.selfOrigin) return true;
  try {
    if (origin === new URL(policy.publicUrl).origin) return true;
  } catch {
    // PUBLIC_URL is validated at start-up
  }
  return policy.corsOrigins.includes(origin);
}

/**
 * Throws `pkg/webmiddleware:invalid_csrf_token` (7) unless the browser shows the request comes from our own
 * origin or an allowed one. An Origin header decides when present; without one, `Sec-Fetch-Site` must say the
 * request is same-origin or user-initiated ("none").
 */
export function assertSameOriginRequest(request: RequestOrigin, policy: OriginPolicy): void {
  const origin = request.origin?.trim();
  if (origin) {
    if (!trusted(origin, request, policy)) throw errors.invalidCsrfToken();
    return;
  }
  const site = request.secFetchSite?.trim().toLowerCase();
  if (site === "cross-site" || site === "same-site") throw errors.invalidCsrfToken();
}

/** `scheme://host` of a request as addressed by the client; undefined without a Host. */
export function selfOriginOf(host: string | null | undefined, tls: boolean): string | undefined {
  if (!host) return undefined;
  try {
    return new URL(`${tls ? "https" : "http"}://${host}`).origin;
  } catch {
    return undefined;
  }
}
