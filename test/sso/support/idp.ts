// A real OpenID Connect provider (the `oidc-provider` package) on loopback, for single sign-on tests. It sits
// behind a small front server that serves its own sign-in and consent pages and can tamper with ID tokens on
// their way out of the token endpoint (re-signed with another key, a changed nonce), as an attacker or a broken
// provider would. Accounts are added by the test; the account ID is the subject.
import { createPrivateKey, createSign, generateKeyPairSync, type KeyObject } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

export interface IdpAccount {
  email?: string;
  email_verified?: boolean;
  preferred_username?: string;
  name?: string;
  given_name?: string;
  family_name?: string;
}

export interface IdpClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
  privateJwk: Record<string, unknown>;
}

function newKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    kid, privateKey,
    publicJwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" },
    privateJwk: { ...privateKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" },
  };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createSign("RSA-SHA256").update(input).sign(key).toString("base64url")}`;
}

/** How the front server changes ID tokens leaving the token endpoint. */
export type Tampering =
  | { kind: "foreign-key" } // re-signed by a key the provider does not publish, under the provider's key ID
  | { kind: "nonce" } // re-signed by the provider's own key with another nonce
  | { kind: "rotated" }; // the provider rotated: signed by a new key, published next to the old one

export interface TestIdp {
  issuer: string;
  accounts: Map<string, IdpAccount>;
  /** Set to change the ID tokens of the next token responses; undefined passes them through. */
  tampering: Tampering | undefined;
  /** How many times the JWKS was fetched. */
  jwksFetches: number;
  /** How many times the discovery document was fetched. */
  discoveryFetches: number;
  close(): Promise<void>;
}

const listen = (server: http.Server) =>
  new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));

const readBody = async (req: http.IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
};

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

export async function startTestIdp(options: { clients: IdpClient[]; idTokenTtlS?: number }): Promise<TestIdp> {
  const providerKey = newKey("idp-key-1");
  const foreignKey = newKey("idp-key-1"); // same key ID, different key
  const rotatedKey = newKey("idp-key-2");
  const accounts = new Map<string, IdpAccount>();

  const front = http.createServer();
  const inner = http.createServer();
  const frontPort = await listen(front);
  const innerPort = await listen(inner);
  const issuer = `http://127.0.0.1:${frontPort}`;

  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId, client_secret: c.clientSecret, redirect_uris: [c.redirectUri],
      grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic",
    })),
    jwks: { keys: [providerKey.privateJwk as never] },
    findAccount: async (_ctx, sub) => {
      const account = accounts.get(sub);
      return account && { accountId: sub, claims: async () => ({ sub, ...account }) };
    },
    claims: {
      openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "preferred_username", "given_name", "family_name"],
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Distinct names: browsers share cookies between ports of one host, and the service's cookie is `_session` too.
    cookies: { keys: ["test-idp-cookie-key"], names: { session: "_idp_session", interaction: "_idp_interaction", resume: "_idp_resume" } },
    ttl: { IdToken: options.idTokenTtlS ?? 3600, AccessToken: 600, AuthorizationCode: 120, Interaction: 600, Session: 600, Grant: 600 },
  });
  inner.on("request", provider.callback());

  const idp: TestIdp = {
    issuer, accounts, tampering: undefined, jwksFetches: 0, discoveryFetches: 0,
    async close() {
      front.closeAllConnections();
      inner.closeAllConnections();
      await Promise.all([new Promise((r) => front.close(r)), new Promise((r) => inner.close(r))]);
    },
  };

  /** The provider's own sign-in and consent pages: a form per step, as a browser or a test submits it. */
  async function interaction(req: http.IncomingMessage, res: http.ServerResponse, uid: string, action: string | undefined): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (req.method === "GET" && !action) {
      res.setHeader("content-type", "text/html; charset=utf-8");
      if (details.prompt.name === "login") {
        res.end(page("Sign in to the test provider",
          `<form method="post" action="/interaction/${uid}/login"><label>Account <input name="login" autofocus></label> <button type="submit">Sign in</button></form>`));
      } else {
        res.end(page("Allow access",
          `<p>${String(details.params.client_id)} asks for your profile and e-mail address.</p>` +
          `<form method="post" action="/interaction/${uid}/confirm"><button type="submit" id="allow">Allow</button></form>` +
          `<form method="post" action="/interaction/${uid}/abort"><button type="submit" id="deny">Deny</button></form>`));
      }
      return;
    }
    const form = new URLSearchParams(await readBody(req));
    if (action === "login") {
      await provider.interactionFinished(req, res, { login: { accountId: form.get("login") ?? "" } }, { mergeWithLastSubmission: false });
    } else if (action === "confirm") {
      const grant = details.grantId
        ? (await provider.Grant.find(details.grantId))!
        : new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    } else {
      await provider.interactionFinished(req, res, { error: "access_denied", error_description: "the user denied access" }, { mergeWithLastSubmission: false });
    }
  }

  /** Passes a request to the provider; the token endpoint's answer may be changed on the way back. */
  function forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = req.url ?? "/";
    if (path.startsWith("/jwks")) idp.jwksFetches++;
    if (path.startsWith("/.well-known/openid-configuration")) idp.discoveryFetches++;
    const tampering = idp.tampering;
    if (path.startsWith("/jwks") && tampering?.kind === "rotated") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: [rotatedKey.publicJwk, providerKey.publicJwk] }));
      return;
    }
    // Uncompressed, so the token response can be read and rewritten.
    const headers = { ...req.headers, "accept-encoding": "identity" };
    const upstream = http.request({ host: "127.0.0.1", port: innerPort, method: req.method, path, headers }, (answer) => {
      const rewrite = tampering && path.startsWith("/token") && answer.statusCode === 200;
      if (!rewrite) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      readBody(answer).then((text) => {
        const body = JSON.parse(text) as { id_token?: string };
        if (body.id_token) body.id_token = tamper(body.id_token, tampering);
        const out = JSON.stringify(body);
        res.writeHead(200, { ...answer.headers, "content-length": String(Buffer.byteLength(out)) });
        res.end(out);
      }).catch(() => { res.statusCode = 502; res.end(); });
    });
    upstream.on("error", () => { res.statusCode = 502; res.end(); });
    req.pipe(upstream);
  }

  function tamper(idToken: string, tampering: Tampering): string {
    const [header, payload] = idToken.split(".").slice(0, 2).map((part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>);
    switch (tampering.kind) {
      case "foreign-key":
        return signJwt(header!, payload!, foreignKey.privateKey);
      case "nonce":
        return signJwt(header!, { ...payload, nonce: "not-the-nonce-of-this-sign-in" }, createPrivateKey({ key: providerKey.privateJwk as never, format: "jwk" }));
      case "rotated":
        return signJwt({ ...header, kid: rotatedKey.kid }, payload!, rotatedKey.privateKey);
    }
  }

  front.on("request", (req, res) => {
    const match = /^\/interaction\/([^/?]+)(?:\/(login|confirm|abort))?/.exec(req.url ?? "");
    if (!match) return forward(req, res);
    interaction(req, res, match[1]!, match[2]).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  return idp;
}
