import { ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../logger.js";
import { REQUEST_ID } from "../ops/request-id.js";

/** One line per call: procedure, status and duration. Messages and headers are never logged (they carry secrets). */
export function loggingInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const procedure = `/${req.method.parent.typeName}/${req.method.name}`;
    const request_id = req.contextValues.get(REQUEST_ID);
    try {
      const res = await next(req);
      logger.info({ request_id, procedure, protocol: req.requestMethod, code: 0, ms: Math.round(performance.now() - started) }, "rpc");
      return res;
    } catch (err) {
      const code = err instanceof ConnectError ? err.code : 2;
      logger.info({ request_id, procedure, code, error: err instanceof ConnectError ? err.rawMessage : undefined, ms: Math.round(performance.now() - started) }, "rpc");
      throw err;
    }
  };
}
