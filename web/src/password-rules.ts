// The password rules of this server (Is.GetConfiguration), shown under every new-password input before typing.
import type { IdentityClient, IsConfiguration } from "../../client/index.js";
import { serverConfiguration } from "./configuration.js";
import { h } from "./dom.js";

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

function describePasswordRules(config: IsConfiguration | undefined): string {
  const rules = config?.userRegistration?.passwordRequirements;
  if (!rules) return "Choose a strong password.";
  const needs = [
    rules.minUppercase ? plural(rules.minUppercase, "uppercase letter") : "",
    rules.minDigits ? plural(rules.minDigits, "digit") : "",
    rules.minSpecial ? plural(rules.minSpecial, "special character") : "",
  ].filter(Boolean);
  const list = needs.length > 1 ? `${needs.slice(0, -1).join(", ")} and ${needs.at(-1)}` : needs[0];
  return `Use at least ${rules.minLength ?? 1} characters${list ? `, with at least ${list}` : ""}; it must not contain your user ID.`;
}

/** A hint element that fills in with the rules once the configuration arrives. */
export function passwordRulesHint(client: IdentityClient): HTMLElement {
  const hint = h("small", { class: "hint password-rules" }, "Choose a strong password.");
  void serverConfiguration(client).then((config) => { hint.textContent = describePasswordRules(config); });
  return hint;
}
