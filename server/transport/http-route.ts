// The shape of everything served on the port besides the RPC protocols: a route looks at a request and either
// answers it (true) or leaves it to the next one (false). app.ts lists the routes in the order they are tried.
import type http from "node:http";
import type http2 from "node:http2";

export type HttpRequest = http.IncomingMessage | http2.Http2ServerRequest;
export type HttpResponse = http.ServerResponse | http2.Http2ServerResponse;

export type HttpRoute = (req: HttpRequest, res: HttpResponse) => boolean;

/** A route for every request whose path starts with `prefix`. */
export function prefixRoute(prefix: string, handle: (req: HttpRequest, res: HttpResponse) => void): HttpRoute {
  return (req, res) => {
    if (!req.url?.startsWith(prefix)) return false;
    handle(req, res);
    return true;
  };
}
