// tti.lorawan.v3.AuthenticationProviderRegistry: admin-only CRUD of the providers external users are linked to
// and sign in through. The OIDC client secret is write-only: sealed at rest (sso/provider-secrets.ts), never
// returned, never logged.
import { create } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  AuthenticationProviderRegistry, AuthenticationProviderSchema, AuthenticationProvidersSchema,
  type AuthenticationProvider,
} from "../../gen/tti/lorawan/v3/authentication_provider_pb.js";
import * as errors from "../domain/error-catalog.js";
import { fieldPaths } from "../domain/field-paths.js";
import { Right } from "../domain/rights.js";
import { selects } from "../domain/user-paths.js";
import * as providers from "../store/authentication-providers.js";
import { isSealed, ProviderSecrets } from "../sso/provider-secrets.js";
import { page, withUniqueness } from "../store/db.js";
import { logOf, requireAdminWith, setTotalCount, type ServiceDeps } from "./context.js";
import { ts } from "./user-messages.js";

/** Every path of AuthenticationProvider. */
const PROVIDER_PATHS: readonly string[] = fieldPaths(AuthenticationProviderSchema);
const OIDC_FIELDS = { client_id: "clientId", client_secret: "clientSecret", provider_url: "providerUrl" } as const;

function checkPaths(paths: readonly string[]): void {
  const bad = paths.filter((p) => !PROVIDER_PATHS.includes(p));
  if (bad.length) throw errors.fieldMaskPaths.of(bad);
}

/** A read mask plus what is always returned (ids and timestamps), as for users. */
export function providerReadMask(paths: readonly string[]): string[] {
  checkPaths(paths);
  const wanted = new Set([...paths, "ids", "created_at", "updated_at"]);
  return PROVIDER_PATHS.filter((p) => wanted.has(p));
}

/** An update mask without what cannot change; empty means "just bump updated_at". */
export function providerUpdateMask(paths: readonly string[]): string[] {
  checkPaths(paths);
  const fixed = new Set(["ids", "ids.provider_id", "created_at", "updated_at"]);
  return PROVIDER_PATHS.filter((p) => paths.includes(p) && !fixed.has(p));
}

const storedConfiguration = (row: providers.ProviderRow) => (row.configuration ?? {}) as providers.ProviderConfiguration;

function toConfiguration(message: AuthenticationProvider): providers.ProviderConfiguration {
  const provider = message.configuration?.provider;
  if (provider?.case !== "oidc") return {};
  const { clientId, clientSecret, providerUrl } = provider.value;
  return { oidc: { clientId, clientSecret, providerUrl } };
}

/** The wire message with the fields `paths` selects; the client secret is always blank. */
function toProviderMessage(row: providers.ProviderRow, paths: readonly string[]): AuthenticationProvider {
  const has = (p: string) => paths.includes(p);
  const message = create(AuthenticationProviderSchema, {
    ids: { providerId: row.providerId },
    createdAt: has("created_at") ? ts(row.createdAt) : undefined,
    updatedAt: has("updated_at") ? ts(row.updatedAt) : undefined,
    name: has("name") ? row.name : "",
    allowRegistrations: has("allow_registrations") ? row.allowRegistrations : false,
  });
  const oidc = storedConfiguration(row).oidc;
  if (oidc && selects(paths, "configuration")) {
    const whole = has("configuration") || has("configuration.oidc");
    const pick = (field: keyof typeof OIDC_FIELDS) => (whole || has(`configuration.oidc.${field}`) ? oidc[OIDC_FIELDS[field]] : "");
    message.configuration = {
      $typeName: "tti.lorawan.v3.AuthenticationProvider.Configuration",
      provider: {
        case: "oidc",
        value: {
          $typeName: "tti.lorawan.v3.AuthenticationProvider.OIDC",
          clientId: pick("client_id"), clientSecret: "", providerUrl: pick("provider_url"),
        },
      },
    };
  }
  return message;
}

export function authenticationProviderRegistry(deps: ServiceDeps): ServiceImpl<typeof AuthenticationProviderRegistry> {
  const { db, config } = deps;
  const secrets = new ProviderSecrets(config.authProviderSecretKey);

  /** The configuration to store: a new secret sealed; a plaintext one already stored is kept until a key is set. */
  function sealed(providerId: string, configuration: providers.ProviderConfiguration, stored?: providers.ProviderConfiguration) {
    const secret = configuration.oidc?.clientSecret ?? "";
    if (secret === "" || isSealed(secret)) return configuration;
    if (!secrets.hasKey && secret === stored?.oidc?.clientSecret) return configuration;
    return secrets.sealConfiguration(providerId, configuration);
  }

  return {
    async create(req, ctx) {
      await requireAdminWith(deps, ctx, Right.USER_SETTINGS_BASIC);
      const provider = req.authenticationProvider!;
      const providerId = provider.ids!.providerId;
      const row = await withUniqueness(() => providers.createProvider(db, {
        providerId, name: provider.name, allowRegistrations: provider.allowRegistrations,
        configuration: sealed(providerId, toConfiguration(provider)),
      }));
      logOf(deps, ctx).info({ provider_id: providerId }, "authentication provider created");
      return toProviderMessage(row, PROVIDER_PATHS);
    },

    async get(req, ctx) {
      const paths = providerReadMask(req.fieldMask?.paths ?? []);
      await requireAdminWith(deps, ctx, Right.USER_INFO);
      const providerId = req.providerIds!.providerId;
      const row = await providers.findProvider(db, providerId);
      if (!row) throw errors.authenticationProviderNotFound({ provider_id: providerId });
      return toProviderMessage(row, paths);
    },

    async list(req, ctx) {
      const paths = providerReadMask(req.fieldMask?.paths ?? []);
      await requireAdminWith(deps, ctx, Right.USER_INFO);
      const { providers: rows, total } = await providers.listProviders(db, {
        order: req.order, ...page(req.limit, req.page, config.defaultPageLimit),
      });
      setTotalCount(ctx, total);
      return create(AuthenticationProvidersSchema, { providers: rows.map((r) => toProviderMessage(r, paths)) });
    },

    async update(req, ctx) {
      await requireAdminWith(deps, ctx, Right.USER_SETTINGS_BASIC);
      const provider = req.authenticationProvider!;
      const providerId = provider.ids!.providerId;
      const paths = providerUpdateMask(req.fieldMask?.paths ?? []);
      const has = (p: string) => paths.includes(p);
      const row = await db.$transaction(async (tx) => {
        const stored = await providers.findProvider(tx, providerId);
        if (!stored) throw errors.authenticationProviderNotFound({ provider_id: providerId });
        const data: Parameters<typeof providers.updateProvider>[2] = {};
        if (has("name")) data.name = provider.name;
        if (has("allow_registrations")) data.allowRegistrations = provider.allowRegistrations;
        if (has("configuration") || has("configuration.oidc")) {
          data.configuration = toConfiguration(provider);
          // Get never shows the secret, so a whole configuration written back from a Get carries none: keep the
          // stored one. Clearing it (a public client) takes the explicit path configuration.oidc.client_secret.
          const storedSecret = storedConfiguration(stored).oidc?.clientSecret;
          if (data.configuration.oidc?.clientSecret === "" && storedSecret && !has("configuration.oidc.client_secret")) {
            data.configuration.oidc.clientSecret = storedSecret;
          }
        } else if (selects(paths, "configuration")) {
          // Single OIDC fields are merged into what is stored.
          const given = toConfiguration(provider).oidc ?? { clientId: "", clientSecret: "", providerUrl: "" };
          const oidc = { clientId: "", clientSecret: "", providerUrl: "", ...storedConfiguration(stored).oidc };
          for (const [path, key] of Object.entries(OIDC_FIELDS)) if (has(`configuration.oidc.${path}`)) oidc[key] = given[key];
          data.configuration = { oidc };
        }
        if (data.configuration) data.configuration = sealed(providerId, data.configuration, storedConfiguration(stored));
        const updated = await providers.updateProvider(tx, stored.id, data);
        if (!updated) throw errors.authenticationProviderNotFound({ provider_id: providerId });
        return updated;
      });
      logOf(deps, ctx).info({ provider_id: providerId, paths }, "authentication provider updated");
      return toProviderMessage(row, providerReadMask(paths));
    },

    async delete(req, ctx) {
      await requireAdminWith(deps, ctx, Right.USER_SETTINGS_BASIC);
      if (!(await providers.deleteProvider(db, req.providerId))) {
        throw errors.authenticationProviderNotFound({ provider_id: req.providerId });
      }
      logOf(deps, ctx).info({ provider_id: req.providerId }, "authentication provider deleted");
      return create(EmptySchema);
    },
  };
}
