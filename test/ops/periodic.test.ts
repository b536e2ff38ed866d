// The timer behind the expiry clean-up and the embedded database upkeep.
import { afterEach, expect, it, vi } from "vitest";
import { Periodic } from "../../server/ops/periodic.js";

afterEach(() => { vi.useRealTimers(); });

it("runs a pass each interval from an interval after start, never two at once, and stop waits for the one under way", async () => {
  vi.useFakeTimers();
  const ends: (() => void)[] = [];
  const pass = vi.fn(() => new Promise<void>((resolve) => { ends.push(resolve); }));
  const periodic = new Periodic(1_000, pass);
  periodic.start();
  await vi.advanceTimersByTimeAsync(999);
  expect(pass).toHaveBeenCalledTimes(0);
  await vi.advanceTimersByTimeAsync(1);
  expect(pass).toHaveBeenCalledTimes(1);
  await vi.advanceTimersByTimeAsync(3_000); // the first pass is still running: no second one meanwhile
  expect(pass).toHaveBeenCalledTimes(1);
  ends[0]!();
  await vi.advanceTimersByTimeAsync(1_000);
  expect(pass).toHaveBeenCalledTimes(2);

  let stopped = false;
  const stopping = periodic.stop().then(() => { stopped = true; });
  await vi.advanceTimersByTimeAsync(5_000);
  expect([stopped, pass.mock.calls.length]).toEqual([false, 2]); // waits for the second pass, starts no third
  ends[1]!();
  await stopping;
  expect(stopped).toBe(true);
});
