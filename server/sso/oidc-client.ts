// The relying-party side of OpenID Connect, through openid-client: discovery from the provider URL (cached per
// provider), the authorization URL with PKCE, state and nonce, and the code exchange whose ID token is checked
// (signature against the provider's JWKS, issuer, audience, expiry, nonce). Library failures become typed errors.
import * as oidc from "openid-client";
import type { Clock } from "../clock.js";
import * as errors from "../domain/error-catalog.js";
import { isServiceError, type ServiceError } from "../domain/errors.js";
import type { Logger } from "../logger.js";

/** What a sign-in needs of an authentication provider (the client secret already opened). */
export interface OidcProvider {
  /** Internal row id: a changed row (new URL, client or secret) is a new cache entry. */
  internalId: string;
  providerId: string;
  providerUrl: string;
  clientId: string;
  clientSecret: string;
  updatedAt: Date;
}

/** The claims a sign-in uses, from the ID token and, where it lacks them, the UserInfo endpoint. */
export interface ProviderIdentity {
  subject: string;
  email: string;
  emailVerified: boolean;
  preferredUsername: string;
  name: string;
  givenName: string;
  familyName: string;
}

/** Discovery documents are re-read after an hour, so endpoint changes at the provider are picked up. */
const DISCOVERY_TTL_MS = 3600_000;
/** Seconds any call to the provider may take. */
const PROVIDER_TIMEOUT_S = 10;

interface CachedProvider {
  fingerprint: string;
  server: oidc.ServerMetadata;
  discoveredAt: number;
  /** The JWKS last fetched, and when by the service's clock (see `jwksCacheFor`). */
  jwks?: { cache: oidc.ExportedJWKSCache; fetchedAt: number };
}

/** Plain HTTP is only for a provider on this machine (development and tests); anything else must use TLS. */
function isLoopbackUrl(url: URL): boolean {
  return ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

export class OidcClients {
  private readonly cache = new Map<string, CachedProvider>();

  constructor(private readonly clock: Clock, private readonly logger: Logger) {}

  /** Where to send the browser to sign in, with the PKCE challenge of `codeVerifier`. */
  async authorizationUrl(provider: OidcProvider, params: { redirectUri: string; state: string; nonce: string; codeVerifier: string }): Promise<URL> {
    const config = await this.configuration(provider);
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: params.redirectUri,
      response_type: "code",
      scope: "openid profile email",
      state: params.state,
      nonce: params.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(params.codeVerifier),
      code_challenge_method: "S256",
    });
  }

  /** Exchanges the code of the provider's redirect (`callbackUrl`) and returns the checked identity. */
  async completeLogin(
    provider: OidcProvider, callbackUrl: URL, checks: { state: string; nonce: string; codeVerifier: string },
  ): Promise<ProviderIdentity> {
    const config = await this.configuration(provider);
    const cached = this.cache.get(provider.internalId);
    const jwksIn = cached && this.jwksCacheFor(cached);
    if (jwksIn) oidc.setJwksCache(config, jwksIn);
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: checks.codeVerifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw errors.ssoInvalidIdToken({ reason: "it is missing" });
      let info: Record<string, unknown> = { ...claims };
      // Conforming providers put profile and e-mail claims in the ID token only when no access token is issued.
      if ((claims.email === undefined || claims.preferred_username === undefined) && config.serverMetadata().userinfo_endpoint) {
        const userInfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        info = { ...userInfo, ...claims, ...(claims.email === undefined ? { email: userInfo.email, email_verified: userInfo.email_verified } : {}) };
      }
      return identityFrom(claims.sub, info);
    } catch (err) {
      throw this.classify(provider, err);
    } finally {
      const jwksOut = oidc.getJwksCache(config);
      if (cached && jwksOut && jwksOut.uat !== jwksIn?.uat) cached.jwks = { cache: jwksOut, fetchedAt: this.clock.now().getTime() };
    }
  }

  /**
   * A Configuration for one request. The library checks token times against its own clock plus `clockSkew`, and
   * JWKS age against the fetch time it is given, so both are expressed in the service's clock: tests move time
   * instead of waiting for an ID token to expire or for the JWKS cache to go stale.
   */
  private async configuration(provider: OidcProvider): Promise<oidc.Configuration> {
    const entry = await this.discovered(provider);
    const skew = Math.round((this.clock.now().getTime() - Date.now()) / 1000);
    const metadata: Partial<oidc.ClientMetadata> = { [oidc.clockSkew]: skew };
    const config = new oidc.Configuration(entry.server, provider.clientId, metadata, clientAuthentication(entry.server, provider.clientSecret));
    config.timeout = PROVIDER_TIMEOUT_S;
    if (isLoopbackUrl(new URL(provider.providerUrl))) oidc.allowInsecureRequests(config);
    // Without this the ID token's signature would be trusted because it came over TLS; check it against the JWKS.
    oidc.enableNonRepudiationChecks(config);
    return config;
  }

  private async discovered(provider: OidcProvider): Promise<CachedProvider> {
    const fingerprint = `${provider.providerUrl}\n${provider.clientId}\n${provider.updatedAt.getTime()}`;
    const now = this.clock.now().getTime();
    const cached = this.cache.get(provider.internalId);
    if (cached && cached.fingerprint === fingerprint && now - cached.discoveredAt < DISCOVERY_TTL_MS) return cached;
    let server: oidc.ServerMetadata;
    try {
      const url = new URL(provider.providerUrl);
      const discovered = await oidc.discovery(url, provider.clientId, undefined, undefined, {
        timeout: PROVIDER_TIMEOUT_S,
        execute: isLoopbackUrl(url) ? [oidc.allowInsecureRequests] : [],
      });
      server = discovered.serverMetadata();
    } catch (err) {
      this.logger.warn({ err, provider_id: provider.providerId }, "OpenID Connect discovery failed");
      throw errors.ssoProviderUnavailable({ provider_id: provider.providerId });
    }
    // The keys outlive a re-discovery of the same provider; a different provider URL starts afresh.
    const keepJwks = cached && cached.fingerprint.split("\n")[0] === provider.providerUrl ? cached.jwks : undefined;
    const entry: CachedProvider = { fingerprint, server, discoveredAt: now, jwks: keepJwks };
    this.cache.set(provider.internalId, entry);
    return entry;
  }

  /** The cached JWKS with its fetch time moved so that its age is the age by the service's clock. */
  private jwksCacheFor(entry: CachedProvider): oidc.ExportedJWKSCache | undefined {
    if (!entry.jwks) return undefined;
    const ageS = Math.floor((this.clock.now().getTime() - entry.jwks.fetchedAt) / 1000);
    return { ...entry.jwks.cache, uat: Math.floor(Date.now() / 1000) - Math.max(0, ageS) };
  }

  /** What went wrong, as the user is told it; details go to the log. */
  private classify(provider: OidcProvider, err: unknown): ServiceError {
    if (isServiceError(err)) return err;
    const e = err as { code?: string; error?: string; message?: string; cause?: { message?: string; cause?: { claim?: string } } };
    // Code and message only: the library's error objects carry tokens and claims.
    this.logger.info({ code: e.code, message: e.message, cause: e.cause?.message, provider_id: provider.providerId }, "single sign-on refused");
    if (err instanceof oidc.AuthorizationResponseError) {
      return errors.ssoProviderError({ error: String(e.error ?? "").replace(/[^a-z0-9_.-]/gi, "").slice(0, 64) || "unknown" });
    }
    if (err instanceof oidc.ResponseBodyError) return errors.ssoCodeExchange();
    const claim = e.cause?.cause?.claim;
    switch (e.code) {
      case "OAUTH_JWT_CLAIM_COMPARISON_FAILED":
        return errors.ssoInvalidIdToken({ reason: claim === "nonce" ? "its nonce does not match this sign-in" : `unexpected \`${claim ?? "claim"}\`` });
      case "OAUTH_JWT_TIMESTAMP_CHECK_FAILED":
        return errors.ssoInvalidIdToken({ reason: claim === "exp" ? "it has expired" : `its \`${claim ?? "time"}\` is out of range` });
      case "OAUTH_KEY_SELECTION_FAILED":
        return errors.ssoInvalidIdToken({ reason: "it is signed with a key the provider does not publish" });
      case "OAUTH_INVALID_RESPONSE":
        if (e.cause?.message?.includes("signature")) return errors.ssoInvalidIdToken({ reason: "its signature does not verify" });
        return errors.ssoCodeExchange();
      case "OAUTH_TIMEOUT":
      case "OAUTH_ABORT":
        return errors.ssoProviderUnavailable({ provider_id: provider.providerId });
    }
    if (err instanceof TypeError) return errors.ssoProviderUnavailable({ provider_id: provider.providerId }); // fetch failed
    return errors.ssoCodeExchange();
  }
}

/** Client secret over HTTP Basic (the default of OAuth) unless the provider only takes it in the body. */
function clientAuthentication(server: oidc.ServerMetadata, secret: string): oidc.ClientAuth {
  if (!secret) return oidc.None();
  const methods = server.token_endpoint_auth_methods_supported;
  if (!methods || methods.includes("client_secret_basic")) return oidc.ClientSecretBasic(secret);
  return oidc.ClientSecretPost(secret);
}

const text = (value: unknown): string => (typeof value === "string" ? value.trim() : "");

function identityFrom(subject: string, claims: Record<string, unknown>): ProviderIdentity {
  return {
    subject,
    email: text(claims.email),
    // Some providers send the flag as a string.
    emailVerified: claims.email_verified === true || claims.email_verified === "true",
    preferredUsername: text(claims.preferred_username),
    name: text(claims.name),
    givenName: text(claims.given_name),
    familyName: text(claims.family_name),
  };
}
