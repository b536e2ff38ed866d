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

/** The API is on the console's own origin, authenticated by the session cookie. */
export function clientsOver(protocol: Protocol): { client: IdentityClient; account: AccountClient } {
  return {
    client: createIdentityClient({ baseUrl: location.origin, protocol, credentials: "include" }),
    account: createAccountClient({ baseUrl: location.origin }),
  };
}
