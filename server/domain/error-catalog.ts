// Every error the service can return, declared once (upstream's names and codes, plus account and invitation errors of our own).
// Namespaces, names and codes copy upstream exactly because clients match on them; the message wording is ours.
import { Code, defineError } from "./errors.js";

const IS = "pkg/identityserver";
const STORE = "pkg/identityserver/store";

// --- request validation (3) ---
/**
 * `validation.field(…)`: a field rule checked by a service rather than by the proto's buf.validate rules (e.g.
 * what an embedded picture contains): the error the rules give, with one violation naming the field.
 */
export const validation = Object.assign(
  defineError("pkg/errors", "validation", Code.InvalidArgument, "invalid `{field}`: {reason}"),
  {
    field: (requestName: string, field: string, message: string, rule: string) =>
      validation({ field, reason: message, name: `${requestName}ValidationError` }, { violations: [{ field, reason: rule, message }] }),
  },
);
export const invalidIdentifiers = defineError("pkg/ttnpb", "identifiers", Code.InvalidArgument, "invalid identifiers");
// Upstream's short message: the paths travel only in the `forbidden_paths` attribute, and that is bounded
// (fieldMaskPathsError), so a mask of 100,000 unknown paths cannot become a megabyte-sized error.
export const fieldMaskPaths = Object.assign(
  defineError("pkg/rpcmiddleware/validator", "field_mask_paths", Code.InvalidArgument, "forbidden path(s) in field mask"),
  {
    /** The error for these forbidden paths: at most 10 of them in the attribute, each cut to 100 characters. */
    of: (paths: readonly string[]) =>
      fieldMaskPaths({
        forbidden_paths: paths.slice(0, 10).map((p) => (p.length > 100 ? `${p.slice(0, 100)}…` : p)),
        ...(paths.length > 10 ? { forbidden_paths_count: paths.length } : {}),
      }),
  },
);
// Not upstream (grpc-go answers a message that does not decode with INTERNAL): a request body that is not the
// method's message in the protocol's encoding, refused before anything else happens.
export const malformedRequest = defineError("pkg/rpcserver", "malformed_request", Code.InvalidArgument, "the request is not a valid `{message}`: {reason}");
// Not upstream: a value the database refused although validation let it through (e.g. one its indexes cannot hold).
export const invalidValue = defineError("pkg/util/store", "invalid_value", Code.InvalidArgument, "a value in the request cannot be stored");
// The HTTP API's request body: upstream's size limit error, and JSON that does not decode into the request.
export const requestBodyTooLarge = defineError("pkg/webmiddleware", "request_body_too_large", Code.InvalidArgument, "request body too large");
export const requestBody = defineError("pkg/rpcserver", "request_body", Code.InvalidArgument, "could not decode the request body: {reason}");
export const forbiddenId = defineError("pkg/identityserver/blocklist", "forbidden_id", Code.InvalidArgument, "ID `{id}` is not allowed");
export const invalidEmail = defineError("pkg/validate", "email", Code.InvalidArgument, "`{email}` is not a valid e-mail address");
export const userRegistrationDisabled = defineError(IS, "user_registration_disabled", Code.InvalidArgument, "user registration is disabled");
export const invitationTokenRequired = defineError(IS, "invitation_token_required", Code.InvalidArgument, "an invitation token is required to register");
export const temporaryPasswordStillValid = defineError(
  IS,
  "temporary_password_still_valid",
  Code.InvalidArgument,
  "a temporary password was already issued and is still valid",
);
export const malformedToken = defineError("pkg/auth", "token", Code.InvalidArgument, "invalid token");

// --- password policy (3), checked in this order by password-policy.ts ---
export const passwordTooShort = defineError(IS, "password_strength_min_length", Code.InvalidArgument, "password must be at least {n} bytes long");
export const passwordTooLong = defineError(IS, "password_strength_max_length", Code.InvalidArgument, "password must be at most {n} bytes long");
export const passwordUppercase = defineError(IS, "password_strength_uppercase", Code.InvalidArgument, "password must contain at least {n} uppercase letter(s)");
export const passwordDigits = defineError(IS, "password_strength_digits", Code.InvalidArgument, "password must contain at least {n} digit(s)");
export const passwordSpecial = defineError(IS, "password_strength_special", Code.InvalidArgument, "password must contain at least {n} special character(s)");
export const passwordContainsUserId = defineError(IS, "password_contains_user_id", Code.InvalidArgument, "password must not contain the user ID");
export const commonPassword = defineError(IS, "common_password", Code.InvalidArgument, "password is too common");
export const passwordEqualsOld = defineError(IS, "password_equals_old", Code.InvalidArgument, "new password must differ from the old password");

// --- account app (3 / 16) ---
export const missingUserId = defineError("pkg/account", "missing_user_id", Code.InvalidArgument, "missing user ID");
export const missingPassword = defineError("pkg/account", "missing_password", Code.InvalidArgument, "missing password");
export const missingToken = defineError("pkg/account", "missing_token", Code.InvalidArgument, "missing token");
export const notAuthenticated = defineError("pkg/account", "not_authenticated", Code.Unauthenticated, "not authenticated");
export const accountParse = defineError("pkg/account", "parse", Code.Aborted, "could not parse the request body");
export const sessionExpired = defineError("pkg/account/session", "session_expired", Code.Unauthenticated, "session expired");
// Cookie-authenticated requests from another site (Origin / Sec-Fetch-Site), upstream's CSRF error name.
export const invalidCsrfToken = defineError("pkg/webmiddleware", "invalid_csrf_token", Code.PermissionDenied, "invalid CSRF token");
// One error for "no such user" and "wrong password" so the login form does not reveal which IDs exist.
export const noUserIdPasswordMatch = defineError(
  "pkg/account/session",
  "no_user_id_password_match",
  Code.InvalidArgument,
  "user ID and password do not match",
);

// --- not found (5) ---
export const userNotFound = defineError(STORE, "user_not_found", Code.NotFound, "user `{user_id}` not found");
export const entityNotFound = defineError(STORE, "entity_not_found", Code.NotFound, "{entity_type} `{entity_id}` not found");
export const apiKeyNotFound = defineError(STORE, "api_key_not_found", Code.NotFound, "API key not found");
export const invitationNotFound = defineError(STORE, "invitation_not_found", Code.NotFound, "invitation not found");
export const loginTokenNotFound = defineError(STORE, "login_token_not_found", Code.NotFound, "login token not found");
export const userSessionNotFound = defineError(STORE, "user_session_not_found", Code.NotFound, "user session not found");
export const authenticationProviderNotFound = defineError(
  STORE,
  "authentication_provider_not_found",
  Code.NotFound,
  "authentication provider not found",
);
export const externalUserNotFound = defineError(STORE, "external_user_not_found", Code.NotFound, "external user not found");

// --- already exists (6) ---
// Attributes name the violated constraint (e.g. `constraint`), which is how clients tell ID from e-mail collisions.
export const alreadyExists = defineError("pkg/util/store", "already_exists", Code.AlreadyExists, "already exists");
export const loginTokensStillValid = defineError(IS, "login_tokens_still_valid", Code.AlreadyExists, "too many login tokens are still valid");
export const invitationAlreadySent = defineError(STORE, "invitation_already_sent", Code.AlreadyExists, "an invitation was already sent to `{email}`");

// --- permission denied (7) ---
export const permissionDenied = defineError(IS, "permission_denied", Code.PermissionDenied, "permission denied");
export const searchForbidden = defineError(IS, "search_forbidden", Code.PermissionDenied, "search is not allowed");
export const adminsPurgeUsers = defineError(IS, "admins_purge_users", Code.PermissionDenied, "only admins can purge users");
export const updateAdminField = defineError(IS, "update_admin_field", Code.PermissionDenied, "only admins can update `{field}`");
export const userRequested = defineError(IS, "user_requested", Code.PermissionDenied, "user has not been approved yet: {description}");
export const userRejected = defineError(IS, "user_rejected", Code.PermissionDenied, "user was rejected: {description}");
export const userSuspended = defineError(IS, "user_suspended", Code.PermissionDenied, "user was suspended: {description}");
// Login only (not upstream): a flagged account waits for an admin's review before it can start sessions.
export const userFlagged = defineError(IS, "user_flagged", Code.PermissionDenied, "user was flagged for review: {description}");
export const noUserRights = defineError("pkg/auth/rights", "no_user_rights", Code.PermissionDenied, "no rights for user `{uid}`");
export const insufficientUserRights = defineError(
  "pkg/auth/rights",
  "insufficient_user_rights",
  Code.PermissionDenied,
  "insufficient rights for user `{uid}`, missing: {missing}",
);
export const noInviteRights = defineError(IS, "no_invite_rights", Code.PermissionDenied, "no rights to send invitations");
export const wrongClusterKey = defineError("pkg/auth/cluster", "cluster_key", Code.PermissionDenied, "invalid cluster key");

// --- resource exhausted (8) ---
// Upstream's message; here `rate` is the allowance of the limit's window (README "Limits") and `retry_after` the
// seconds until it is whole again.
export const rateLimitExceeded = defineError(
  "pkg/ratelimit",
  "rate_limit_exceeded",
  Code.ResourceExhausted,
  "rate limit of `{rate}` accesses per minute exceeded for resource `{key}`",
);
// gRPC's code for a message over the receiver's size limit (as grpc-go answers it); before anything is parsed.
export const requestTooLarge = defineError("pkg/rpcserver", "request_too_large", Code.ResourceExhausted, "request larger than {max_bytes} bytes");

// --- failed precondition (9) ---
export const lastAdmin = defineError(STORE, "last_admin", Code.FailedPrecondition, "cannot remove the last admin");
export const restoreWindowExpired = defineError(IS, "restore_window_expired", Code.FailedPrecondition, "the restore window has expired");
export const invitationExpired = defineError(STORE, "invitation_expired", Code.FailedPrecondition, "invitation has expired");
export const invitationAlreadyUsed = defineError(STORE, "invitation_already_used", Code.FailedPrecondition, "invitation was already used");
export const profilePictureUploadsDisabled = defineError(
  IS,
  "profile_picture_uploads_disabled",
  Code.FailedPrecondition,
  "profile picture uploads are disabled",
);
export const loginTokensDisabled = defineError(IS, "login_tokens_disabled", Code.FailedPrecondition, "login tokens are disabled");
export const loginTokenExpired = defineError(STORE, "login_token_expired", Code.FailedPrecondition, "login token has expired");
export const loginTokenAlreadyUsed = defineError(STORE, "login_token_already_used", Code.FailedPrecondition, "login token was already used");
export const externalUser = defineError(IS, "external_user", Code.FailedPrecondition, "user is managed by an external provider");

// --- stored-hash corruption and generic internal (13) ---
export const invalidHash = defineError("pkg/auth", "invalid_hash", Code.Internal, "invalid hash");
export const unknownHashingMethod = defineError("pkg/auth", "unknown_hashing_method", Code.Internal, "unknown hashing method `{method}`");
export const invalidPbkdf2Format = defineError("pkg/auth/pbkdf2", "invalid_pbkdf2_format", Code.Internal, "password hash has invalid PBKDF2 format");
export const pbkdf2Iterations = defineError("pkg/auth/pbkdf2", "pbkdf2_iterations", Code.Internal, "invalid PBKDF2 iteration count `{iterations}`");
export const pbkdf2Encoding = defineError("pkg/auth/pbkdf2", "pbkdf2_encoding", Code.Internal, "invalid base64 in PBKDF2 hash");
export const internal = defineError(IS, "internal", Code.Internal, "internal error");

// --- unavailable (14) ---
// Upstream's name: the database cannot be reached or is shutting down; the call may be retried (`retry_after`).
export const databaseUnavailable = defineError("pkg/util/store", "database_unavailable", Code.Unavailable, "database unavailable");

// --- unauthenticated (16) ---
export const unauthenticated = defineError(IS, "unauthenticated", Code.Unauthenticated, "unauthenticated");
export const unsupportedAuthorization = defineError(IS, "unsupported_authorization", Code.Unauthenticated, "unsupported authorization method");
// Not the store's api_key_not_found (5): when authenticating, an unknown key is an authentication failure.
export const apiKeyNotFoundForAuth = defineError(IS, "api_key_not_found", Code.Unauthenticated, "API key not found");
export const invalidAuthorization = defineError(IS, "invalid_authorization", Code.Unauthenticated, "invalid authorization");
export const apiKeyExpired = defineError(IS, "api_key_expired", Code.Unauthenticated, "API key has expired");
export const tokenNotFound = defineError(IS, "token_not_found", Code.Unauthenticated, "token not found");
export const tokenExpired = defineError(IS, "token_expired", Code.Unauthenticated, "token has expired");
export const oldPassword = defineError(IS, "old_password", Code.Unauthenticated, "old password is incorrect");
export const temporaryPasswordExpired = defineError(IS, "temporary_password_expired", Code.Unauthenticated, "temporary password has expired");
export const noClusterKey = defineError("pkg/auth/cluster", "no_cluster_key", Code.Unauthenticated, "no cluster key");

// --- cluster auth and invitations (misc) ---
export const clusterAuthType = defineError("pkg/auth/cluster", "auth_type", Code.InvalidArgument, "invalid authorization type `{auth_type}`");
export const noReceiverUserIds = defineError(IS, "no_receiver_user_ids", Code.Unknown, "no receiver user IDs");

// --- single sign-on (server/sso/): upstream's enterprise edition names these under pkg/account/oidc ---
const OIDC = "pkg/account/oidc";
export const ssoProviderDisabled = defineError(OIDC, "provider_disabled", Code.FailedPrecondition, "authentication provider `{provider_id}` is not set up for sign-in");
export const ssoInvalidState = defineError(
  OIDC, "invalid_state", Code.PermissionDenied,
  "this sign-in is unknown, has expired, was already completed or was started in another browser; start again",
);
export const ssoProviderError = defineError(OIDC, "provider_error", Code.Unauthenticated, "the authentication provider refused the sign-in: {error}");
export const ssoCodeExchange = defineError(OIDC, "code_exchange", Code.Unauthenticated, "the authentication provider did not accept the authorization code");
export const ssoInvalidIdToken = defineError(OIDC, "invalid_id_token", Code.Unauthenticated, "the authentication provider's ID token is not valid: {reason}");
export const ssoProviderUnavailable = defineError(OIDC, "provider_unavailable", Code.Unavailable, "authentication provider `{provider_id}` could not be reached");
export const ssoRegistrationsDisabled = defineError(
  OIDC, "registrations_disabled", Code.FailedPrecondition,
  "there is no account for you here, and authentication provider `{provider_id}` does not allow registrations",
);
export const ssoNoUsernameAvailable = defineError(OIDC, "no_username_available", Code.ResourceExhausted, "no free user ID could be derived for the new account");
export const ssoMissingEmail = defineError(OIDC, "missing_email", Code.FailedPrecondition, "the authentication provider did not share an e-mail address");
export const ssoUnverifiedEmail = defineError(OIDC, "unverified_email", Code.PermissionDenied, "the authentication provider has not verified e-mail address `{email}`");
export const ssoAccountExists = defineError(
  OIDC, "account_exists", Code.FailedPrecondition,
  "an account with e-mail address `{email}` exists but has no password to confirm the link with; ask an administrator to link it",
);
export const ssoNoPendingLink = defineError(OIDC, "no_pending_link", Code.NotFound, "no account link is waiting in this browser; sign in with the provider again");
export const providerSecretKeyMissing = defineError(
  IS, "provider_secret_key_missing", Code.FailedPrecondition,
  "OIDC client secrets are stored encrypted, and this server has no AUTH_PROVIDER_SECRET_KEY",
);
export const providerSecretUnreadable = defineError(
  IS, "provider_secret_unreadable", Code.FailedPrecondition, "the client secret of authentication provider `{provider_id}` cannot be read: {reason}",
);
export const lastExternalUser = defineError(
  IS, "last_external_user", Code.FailedPrecondition,
  "user `{user_id}` signs in only through authentication providers and has no password: the last link cannot be removed",
);

// --- e-mail validation (upstream pkg/identityserver/email_validation_registry.go, store/errors.go) ---
export const validationRequestForbidden = defineError(
  IS,
  "validation_request_forbidden",
  Code.PermissionDenied,
  "validation request forbidden because it was already sent, wait `{retry_interval}` before retrying",
);
export const validationTokenNotFound = defineError(STORE, "validation_token_not_found", Code.NotFound, "validation token not found");
export const validationTokenExpired = defineError(STORE, "validation_token_expired", Code.FailedPrecondition, "validation token expired");
export const validationTokenAlreadyUsed = defineError(STORE, "validation_token_already_used", Code.FailedPrecondition, "validation token already used");
