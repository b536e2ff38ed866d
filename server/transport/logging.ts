import { ConnectError, type Interceptor, type UnaryRequest, type StreamRequest } from "@connectrpc/connect";
import type { Logger } from "../logger.js";
import { REQUEST_ID } from "../ops/request-id.js";
import { callProtocol, type CallProtocol } from "./call-protocol.js";

/**
 * Told about every finished call, with the protocol it came over, the code the client gets (0: OK) and how long it
 * took (the metrics).
 */
export type CallObserver = (req: UnaryRequest | StreamRequest, protocol: CallProtocol, code: number, seconds: number) => void;

/**
 * One log line per call (procedure, status and duration), and the call handed to `observe`. Messages and headers
 * are never logged (they carry secrets). Place it outside the error interceptor, so the code is the client's.
 */
export function callReportInterceptor(logger: Logger, observe?: CallObserver): Interceptor {
  // These lines have fixed fields that never hold a secret, so they skip the redaction pass: on every call it
  // cost more than writing the rest of the line.
  const rpcLog = logger.child({}, { redact: { paths: [] } });
  const report = (req: UnaryRequest | StreamRequest, started: number, failure?: ConnectError) => {
    const ms = performance.now() - started;
    const procedure = `/${req.method.parent.typeName}/${req.method.name}`;
    const request_id = req.contextValues.get(REQUEST_ID);
    const protocol = callProtocol(req);
    if (!failure) {
      rpcLog.info({ request_id, procedure, protocol, code: 0, ms: Math.round(ms) }, "rpc");
      observe?.(req, protocol, 0, ms / 1000);
      return;
    }
    rpcLog.info({ request_id, procedure, protocol, code: failure.code, error: failure.rawMessage, ms: Math.round(ms) }, "rpc");
    observe?.(req, protocol, failure.code, ms / 1000);
  };
  // Plain promise callbacks, not an async function: this wraps every call, and each async layer costs.
  return (next) => (req) => {
    const started = performance.now();
    return next(req).then(
      (res) => { report(req, started); return res; },
      // The code Connect answers with: a ServiceError was made a ConnectError already, anything else is UNKNOWN.
      (err: unknown) => { report(req, started, ConnectError.from(err)); throw err; },
    );
  };
}
