// The account endpoints (`/oauth/api/*`): password and login-token login start a browser session (the
// HttpOnly `_session` cookie, which then authenticates RPCs from the same origin), logout ends it, `me` shows it.
import { fromJson } from "@bufbuild/protobuf";
import { UserSchema, type User } from "../gen/ttn/lorawan/v3/user_pb.js";
import { Code, IdentityError } from "./errors.js";

export interface AccountClientOptions {
  /** The server's URL; "" (or omitted) means the page's own origin. */
  baseUrl?: string;
  /** Defaults to "include" so the cookie is stored and sent. */
  credentials?: RequestCredentials;
  fetch?: typeof globalThis.fetch;
}

export interface AccountSession {
  user: User;
  loggedInAt: Date;
  sessionId: string;
  /** The single sign-on providers the user is linked to; such a user has no password to change or reset here. */
  externalProviders: { providerId: string; name: string }[];
}

/** An authentication provider a browser can sign in with (`/oauth/api/auth/providers`). */
export interface LoginProvider {
  providerId: string;
  name: string;
  /** Where to send the browser (a top-level navigation) to sign in there. */
  loginUrl: string;
}

/** A provider identity waiting for the password of the existing account it is to be linked to. */
export interface PendingProviderLink {
  providerId: string;
  providerName: string;
  userId: string;
  email: string;
}

/** A browser session of the logged-in user, with where it was started (`/oauth/api/sessions`). */
export interface BrowserSession {
  sessionId: string;
  createdAt: Date;
  lastSeenAt?: Date;
  expiresAt?: Date;
  userAgent: string;
  clientAddress: string;
  /** The session of this browser. */
  current: boolean;
}

/** One change of a user's state (`/oauth/api/admin/state-history`, admins only). */
export interface StateChange { state: string; stateDescription: string; changedBy: string; createdAt: Date }

export interface AccountClient {
  /** Throws IdentityError, e.g. `pkg/account:no_user_id_password_match` or a rate-limit error with `retry_after`. */
  login(userId: string, password: string): Promise<void>;
  tokenLogin(token: string): Promise<void>;
  logout(): Promise<void>;
  /** The logged-in user, or undefined when there is no valid session. */
  me(): Promise<AccountSession | undefined>;
  /** The single sign-on providers to offer on the login page. */
  loginProviders(): Promise<LoginProvider[]>;
  /** The link this browser's single sign-on left pending; throws `pkg/account/oidc:no_pending_link` when none. */
  pendingProviderLink(): Promise<PendingProviderLink>;
  /** Proves the account's password: links the provider identity and starts the session. */
  confirmProviderLink(password: string): Promise<void>;
  /** The logged-in user's sessions, newest first, with browser and address. */
  sessions(): Promise<BrowserSession[]>;
  /** Ends every session of the user except this browser's; returns how many ended. */
  endOtherSessions(): Promise<number>;
  /** Admins: the state changes of a user, newest first (`state` as upstream's enum name, e.g. `STATE_APPROVED`). */
  stateHistory(userId: string): Promise<StateChange[]>;
}

export function createAccountClient(options: AccountClientOptions = {}): AccountClient {
  const base = (options.baseUrl ?? "").replace(/\/+$/, "");
  const credentials = options.credentials ?? "include";
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));

  async function call(method: "GET" | "POST", path: string, body?: Record<string, string>): Promise<unknown> {
    const res = await doFetch(`${base}/oauth/api/${path}`, {
      method,
      credentials,
      headers: body ? { "content-type": "application/json", accept: "application/json" } : { accept: "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) throw IdentityError.fromHttp(res.status, json ?? { message: text });
    return json;
  }

  return {
    async login(userId, password) {
      await call("POST", "auth/login", { user_id: userId, password });
    },
    async tokenLogin(token) {
      await call("POST", "auth/token-login", { token });
    },
    async logout() {
      await call("POST", "auth/logout");
    },
    async me() {
      try {
        const body = (await call("GET", "me")) as {
          user: unknown; logged_in_at: string; session_id: string; external_providers?: { provider_id: string; name: string }[];
        };
        return {
          user: fromJson(UserSchema, body.user as never, { ignoreUnknownFields: true }),
          loggedInAt: new Date(body.logged_in_at),
          sessionId: body.session_id,
          externalProviders: (body.external_providers ?? []).map((p) => ({ providerId: p.provider_id, name: p.name })),
        };
      } catch (err) {
        if (err instanceof IdentityError && err.code === Code.Unauthenticated) return undefined;
        throw err;
      }
    },
    async loginProviders() {
      const body = (await call("GET", "auth/providers")) as { providers: { provider_id: string; name: string; login_url: string }[] };
      return body.providers.map((p) => ({ providerId: p.provider_id, name: p.name, loginUrl: `${base}${p.login_url}` }));
    },
    async pendingProviderLink() {
      const body = (await call("GET", "auth/provider-link")) as { provider_id: string; provider_name: string; user_id: string; email: string };
      return { providerId: body.provider_id, providerName: body.provider_name, userId: body.user_id, email: body.email };
    },
    async confirmProviderLink(password) {
      await call("POST", "auth/provider-link", { password });
    },
    async sessions() {
      type Row = { session_id: string; created_at: string; last_seen_at: string | null; expires_at: string | null; user_agent: string; client_address: string; current: boolean };
      const body = (await call("GET", "sessions")) as { sessions: Row[] };
      const date = (s: string | null) => (s ? new Date(s) : undefined);
      return body.sessions.map((r) => ({
        sessionId: r.session_id, createdAt: new Date(r.created_at), lastSeenAt: date(r.last_seen_at), expiresAt: date(r.expires_at),
        userAgent: r.user_agent, clientAddress: r.client_address, current: r.current,
      }));
    },
    async stateHistory(userId) {
      type Row = { state: string; state_description: string; changed_by: string; created_at: string };
      const body = (await call("GET", `admin/state-history?user_id=${encodeURIComponent(userId)}`)) as { changes: Row[] };
      return body.changes.map((c) => ({ state: c.state, stateDescription: c.state_description, changedBy: c.changed_by, createdAt: new Date(c.created_at) }));
    },
    async endOtherSessions() {
      const body = (await call("POST", "sessions/end-others")) as { ended: number };
      return body.ended;
    },
  };
}
