// The server's settings (Is.GetConfiguration) that the console adapts to: password rules, e-mail validation.
import type { IdentityClient, IsConfiguration } from "../../client/index.js";

let configuration: Promise<IsConfiguration | undefined> | undefined;

/** Asked once per page load; undefined when the server does not tell. */
export function serverConfiguration(client: IdentityClient): Promise<IsConfiguration | undefined> {
  configuration ??= client.identityServer.getConfiguration({}).then((r) => r.configuration, () => undefined);
  return configuration;
}
