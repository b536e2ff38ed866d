// Connect aborts two AbortSignals at the end of every call, the request's and the handler context's, and gives
// neither a reason. Node then builds a fresh DOMException for each, and a DOMException captures a stack trace when
// it is built. With async stack traces the two cost 47–60 µs per call, about a sixth of the server's CPU time for an
// authenticated call (interleaved A/B of `npm run bench`: 346 → 286–299 µs per AuthInfo over Connect binary).

/** The reason of every abort that names none: the AbortError DOMException Node would build, built once. */
const DEFAULT_ABORT_REASON = new DOMException("This operation was aborted", "AbortError");
// Its stack would point here, not at whoever aborted: say only what it is.
DEFAULT_ABORT_REASON.stack = `${DEFAULT_ABORT_REASON.name}: ${DEFAULT_ABORT_REASON.message}`;

let installed = false;

/**
 * Makes `AbortController.prototype.abort()` without a reason use DEFAULT_ABORT_REASON instead of a new
 * DOMException; an explicit reason is passed on unchanged. Listeners, `signal.aborted` and `signal.reason.name`
 * (what code checks) behave as before. For the whole process, once: `startServer` calls it before serving.
 */
export function shareDefaultAbortReason(): void {
  if (installed) return;
  installed = true;
  const abort = AbortController.prototype.abort;
  Object.defineProperty(AbortController.prototype, "abort", {
    ...Object.getOwnPropertyDescriptor(AbortController.prototype, "abort"),
    value: function abortWithSharedReason(this: AbortController, reason?: unknown) {
      abort.call(this, reason === undefined ? DEFAULT_ABORT_REASON : reason);
    },
  });
}
