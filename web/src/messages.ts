// What the console says about an error: a sentence a user understands, never an internal code, a regular
// expression or an error name. Errors it has no sentence for fall back to the server's message, cleaned up.
import { Code, isIdentityError, type FieldViolation, type IdentityError } from "../../client/index.js";

const attr = (err: IdentityError, name: string): string => {
  const value = err.attributes[name] ?? err.causes.map((c) => c.attributes[name]).find((v) => v !== undefined);
  return value === undefined ? "" : String(value);
};

/** "in 3 minutes" for a number of seconds. */
function waitTime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 1) return "a moment";
  if (seconds < 90) return `${Math.ceil(seconds)} seconds`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return `${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return `${hours} hours`;
}

const retryAfter = (err: IdentityError): number => {
  const header = Number(err.metadata.get("retry-after"));
  if (Number.isFinite(header) && header > 0) return header;
  return Number(attr(err, "retry_after")) || 0;
};

/** Sentences by `namespace:name`; a function gets the error for its attributes. */
const SENTENCES: Record<string, string | ((err: IdentityError) => string)> = {
  "pkg/account/session:no_user_id_password_match": "The user ID and password do not match.",
  "pkg/account:missing_user_id": "Enter your user ID.",
  "pkg/account:missing_password": "Enter your password.",
  "pkg/account:missing_token": "Enter the login token.",
  "pkg/account/session:session_expired": "Your session has ended. Log in again.",
  "pkg/ratelimit:rate_limit_exceeded": (err) => `Too many attempts. Wait ${waitTime(retryAfter(err))} and try again.`,
  "pkg/identityserver:password_strength_min_length": (err) => `The password must be at least ${attr(err, "n")} characters long.`,
  "pkg/identityserver:password_strength_max_length": (err) => `The password must be at most ${attr(err, "n")} characters long.`,
  "pkg/identityserver:password_strength_uppercase": (err) => `The password needs at least ${attr(err, "n")} uppercase letter(s).`,
  "pkg/identityserver:password_strength_digits": (err) => `The password needs at least ${attr(err, "n")} digit(s).`,
  "pkg/identityserver:password_strength_special": (err) => `The password needs at least ${attr(err, "n")} character(s) that are neither letters nor digits.`,
  "pkg/identityserver:password_contains_user_id": "The password must not contain the user ID.",
  "pkg/identityserver:common_password": "This password is too common: choose another one.",
  "pkg/identityserver:password_equals_old": "The new password must differ from the current one.",
  "pkg/identityserver:old_password": "The current password is not correct.",
  "pkg/identityserver:temporary_password_expired": "The temporary password has expired. Ask for a new one with “Forgot password?”.",
  "pkg/identityserver:temporary_password_still_valid": "A temporary password was sent a short while ago and is still valid. Check the e-mail, or try again later.",
  "pkg/identityserver:user_requested": "This account awaits an administrator's approval.",
  "pkg/identityserver:user_rejected": "This account was not approved.",
  "pkg/identityserver:user_suspended": "This account is suspended.",
  "pkg/identityserver:user_flagged": "This account is under review.",
  "pkg/identityserver:last_admin": "This is the last administrator: make someone else an administrator first.",
  "pkg/identityserver:update_admin_field": "Only administrators can change this.",
  "pkg/identityserver:external_user": "This account signs in with single sign-on; its password is managed there.",
  "pkg/identityserver:validation_request_forbidden": (err) => `A confirmation e-mail was sent recently. You can ask for another one in ${attr(err, "retry_interval") || "a while"}.`,
  "pkg/identityserver:restore_window_expired": "This user was deleted too long ago to be restored.",
  "pkg/identityserver:invitation_token_required": "Registration needs an invitation: enter the token from your invitation e-mail.",
  "pkg/identityserver:user_registration_disabled": "Registration is closed on this server. Ask an administrator for an account.",
  "pkg/identityserver/blocklist:forbidden_id": "This user ID is reserved: choose another one.",
  "pkg/identityserver/store:user_not_found": (err) => `There is no user “${attr(err, "user_id")}”.`,
  "pkg/identityserver/store:invitation_not_found": "This invitation does not exist or was revoked.",
  "pkg/identityserver/store:invitation_expired": "This invitation has expired. Ask for a new one.",
  "pkg/identityserver/store:invitation_already_used": "This invitation was already used.",
  "pkg/identityserver/store:invitation_already_sent": "An invitation was already sent to this address.",
  "pkg/identityserver/store:login_token_not_found": "This login token is not valid.",
  "pkg/identityserver/store:login_token_expired": "This login token has expired.",
  "pkg/identityserver/store:login_token_already_used": "This login token was already used.",
  "pkg/identityserver/store:validation_token_not_found": "This reference and token do not match a pending confirmation. Use the newest e-mail we sent you.",
  "pkg/identityserver/store:validation_token_expired": "This confirmation link has expired. Ask for a new e-mail on your profile page.",
  "pkg/identityserver/store:validation_token_already_used": "This confirmation link was already used, or a newer one was sent.",
  "pkg/identityserver:login_tokens_disabled": "Login tokens are turned off on this server.",
  "pkg/util/store:already_exists": "This already exists.",
  "pkg/validate:email": "Enter a valid e-mail address.",
  "pkg/ttnpb:identifiers": "Use 2–36 lowercase letters, digits and dashes, starting and ending with a letter or digit.",
  "pkg/auth/rights:no_user_rights": "You are not allowed to do this.",
  "pkg/auth/rights:insufficient_user_rights": "Your account or key lacks the rights for this.",
  "pkg/identityserver:permission_denied": "You are not allowed to do this.",
};

/** Sentences by the gRPC code, when the error has no sentence of its own. */
const BY_CODE: Partial<Record<Code, string>> = {
  [Code.Unauthenticated]: "Your session has ended. Log in again.",
  [Code.PermissionDenied]: "You are not allowed to do this.",
  [Code.Unavailable]: "The server cannot be reached right now. Check your connection and try again.",
  [Code.DeadlineExceeded]: "The server took too long to answer. Try again.",
  [Code.Internal]: "Something went wrong on the server. Try again later.",
  [Code.Unknown]: "Something went wrong. Try again.",
  [Code.Unimplemented]: "This server does not offer this feature.",
};

/** A readable sentence for a field the request was rejected for (a buf.validate violation). */
export function violationMessage(violation: FieldViolation): string {
  const field = violation.field.split(".").at(-1) ?? "";
  const rule = violation.rule;
  if (field === "user_id" && /pattern|len/.test(rule)) return SENTENCES["pkg/ttnpb:identifiers"] as string;
  if (rule.endsWith(".email") || field.includes("email")) return "Enter a valid e-mail address.";
  if (rule === "repeated.min_items" || (field === "rights" && rule.startsWith("repeated"))) return "Choose at least one.";
  if (rule.endsWith("min_len") || rule === "required") return "This field is required.";
  if (rule.endsWith("max_len")) return "This is too long.";
  if (rule.endsWith("pattern")) return "This contains characters that are not allowed here.";
  return cleanServerMessage(violation.message) || "This value is not valid.";
}

/** The server's own message without error names, regexes or code prefixes. */
function cleanServerMessage(message: string): string {
  let text = /^error:\S+ \((.*)\)$/s.exec(message)?.[1] ?? message;
  text = text.replace(/\s*\([a-z0-9_/]+:[a-z0-9_]+\)/gi, "").replace(/`[^`]*`/g, (m) => (/[\\^$[\]]/.test(m) ? "" : m.slice(1, -1)));
  text = text.replace(/\s*(does not )?match(es)? regex pattern\s*/i, " has characters that are not allowed ").replace(/\s+/g, " ").trim();
  return text ? text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? "" : ".") : "";
}

/** The sentence the console shows for any error. */
export function humanMessage(err: unknown): string {
  if (!isIdentityError(err)) {
    if (err instanceof TypeError) return BY_CODE[Code.Unavailable]!; // fetch failed: offline or server down
    return err instanceof Error ? err.message : String(err);
  }
  const names = [err.name, ...err.causes.map((c) => c.name)];
  for (const name of names) {
    const sentence = SENTENCES[name];
    if (sentence) return typeof sentence === "string" ? sentence : sentence(err);
  }
  if (err.violations.length) return violationMessage(err.violations[0]!);
  if (err.code === Code.ResourceExhausted) return (SENTENCES["pkg/ratelimit:rate_limit_exceeded"] as (e: IdentityError) => string)(err);
  if (err.code === Code.InvalidArgument || err.code === Code.NotFound || err.code === Code.FailedPrecondition || err.code === Code.AlreadyExists) {
    return cleanServerMessage(err.rawMessage) || "This request is not valid.";
  }
  return BY_CODE[err.code] ?? (cleanServerMessage(err.rawMessage) || "Something went wrong. Try again.");
}
