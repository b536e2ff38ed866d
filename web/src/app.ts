// What every view gets: the SDK clients over the chosen transport, the logged-in user, and navigation.
import { createAccountClient, createIdentityClient, type AccountClient, type AccountSession, type IdentityClient, type Protocol } from "../../client/index.js";

export interface Console {
  client: IdentityClient;
  account: AccountClient;
  session: AccountSession;
  userId: string;
  isAdmin: boolean;
  transport: Protocol;
  navigate(route: string): void;
  /** Re-reads the session (after a profile change) or goes to the login page when it ended. */
  refreshSession(): Promise<void>;
  /** After the session ended (logout, session deleted). */
  loggedOut(): void;
}

export type View = (app: Console, root: HTMLElement) => Promise<void> | void;

const TRANSPORT_KEY = "console.transport";

/** `?transport=grpc-web` wins, then the last choice in this browser, then Connect. */
export function chosenTransport(): Protocol {
  const fromQuery = new URLSearchParams(location.search).get("transport");
  const value = fromQuery ?? localStorage.getItem(TRANSPORT_KEY);
  return value === "grpc-web" ? "grpc-web" : "connect";
}

export function saveTransport(protocol: Protocol): void {
  localStorage.setItem(TRANSPORT_KEY, protocol);
  const url = new URL(location.href);
  url.searchParams.set("transport", protocol);
  history.replaceState(null, "", url);
}

/** The SDK clients; also what the logged-out pages (log in, register, set a new password) get. */
export interface Clients { client: IdentityClient; account: AccountClient }

/** The API is on the console's own origin, authenticated by the session cookie. */
export function clientsOver(protocol: Protocol): Clients {
  return {
    client: createIdentityClient({ baseUrl: location.origin, protocol, credentials: "include" }),
    account: createAccountClient({ baseUrl: location.origin }),
  };
}

/**
 * Reads query parameters and removes them from the address bar (history, bookmarks, a shared screen), for
 * secrets that e-mailed links carry (login token, invitation token, temporary password): the form holds them now.
 */
export function takeFromQuery<K extends string>(...names: K[]): Record<K, string> {
  const url = new URL(location.href);
  const out = {} as Record<K, string>;
  let found = false;
  for (const name of names) {
    out[name] = url.searchParams.get(name) ?? "";
    if (url.searchParams.has(name)) { url.searchParams.delete(name); found = true; }
  }
  if (found) history.replaceState(history.state, "", url);
  return out;
}
