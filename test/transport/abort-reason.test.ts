// The shared reason for aborts that name none (server/transport/abort-reason.ts): signals behave as before, only the
// DOMException is built once instead of on every abort.
import { describe, expect, it } from "vitest";
import { shareDefaultAbortReason } from "../../server/transport/abort-reason.js";

describe("shareDefaultAbortReason", () => {
  shareDefaultAbortReason();

  it("aborts without a reason with the AbortError DOMException Node would give, built once", () => {
    const first = new AbortController();
    const second = new AbortController();
    let events = 0;
    first.signal.addEventListener("abort", () => { events++; });
    first.abort();
    first.abort(); // a second abort changes nothing, as before
    second.abort();
    expect(first.signal.aborted).toBe(true);
    expect(events).toBe(1);
    expect(first.signal.reason).toBeInstanceOf(DOMException);
    expect(first.signal.reason).toMatchObject({ name: "AbortError", code: DOMException.ABORT_ERR, message: "This operation was aborted" });
    expect(second.signal.reason).toBe(first.signal.reason);
    expect(() => first.signal.throwIfAborted()).toThrow(first.signal.reason);
    // Its stack names no place in this file or the module: it was not thrown from there.
    expect(first.signal.reason.stack).toBe("AbortError: This operation was aborted");
  });

  it("keeps an explicit reason, and signals that follow another see whatever reason it got", async () => {
    const reason = new Error("client went away");
    const controller = new AbortController();
    const linked = AbortSignal.any([controller.signal]);
    controller.abort(reason);
    expect(controller.signal.reason).toBe(reason);
    expect(linked.reason).toBe(reason);
    const plain = new AbortController();
    const waiting = new Promise((_resolve, reject) => plain.signal.addEventListener("abort", () => reject(plain.signal.reason)));
    plain.abort();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });
  });

  it("is installed once however often it is called, and still refuses what is not an AbortController", () => {
    const abort = AbortController.prototype.abort;
    shareDefaultAbortReason();
    expect(AbortController.prototype.abort).toBe(abort);
    expect(() => abort.call({} as AbortController)).toThrow(TypeError);
  });
});
