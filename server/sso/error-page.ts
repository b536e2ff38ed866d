// The page a browser sees when a single sign-on is refused: it arrives by a top-level redirect from the provider,
// so a JSON body would mean nothing to the user. The page says what went wrong and links back to the login.
import type http from "node:http";
import type http2 from "node:http2";
import { httpStatus } from "../account/http-errors.js";
import * as errors from "../domain/error-catalog.js";
import { formatMessage, isServiceError } from "../domain/errors.js";
import type { Logger } from "../logger.js";

type Res = http.ServerResponse | http2.Http2ServerResponse;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export function sendErrorPage(res: Res, err: unknown, logger: Logger): void {
  let service = isServiceError(err) ? err : undefined;
  if (!service) {
    logger.error({ err }, "unexpected error in single sign-on");
    service = errors.internal();
  }
  const message = formatMessage(service.messageFormat, service.attributes);
  const body = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Sign-in failed</title></head>
<body>
<main>
<h1>Sign-in failed</h1>
<p id="sso-error-message">${escapeHtml(message.charAt(0).toUpperCase() + message.slice(1))}.</p>
<p>Error <code id="sso-error-name">${escapeHtml(service.fullName)}</code></p>
<p><a href="/console/">Back to the login page</a></p>
</main>
</body>
</html>
`;
  res.statusCode = httpStatus(service.code);
  res.setHeader("content-type", "text/html; charset=utf-8");
  res.setHeader("cache-control", "no-store");
  res.setHeader("content-security-policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("referrer-policy", "no-referrer");
  res.end(body);
}
