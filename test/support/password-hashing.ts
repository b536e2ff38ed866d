// Every file of the main suite hashes passwords with cheap argon2id parameters (a setup file, see vitest.config.ts):
// the suites create hundreds of users and log in as many times, and at the production parameters each hash
// costs ~40 ms of CPU (several times that on a busy machine, where the hasher runs at a lower priority). Hashes
// stay argon2id and are still verified; tests of the parameters themselves call useProductionPasswordHashing.
import { setArgon2CostForTests } from "../../server/domain/password-hash.js";

/** argon2's minimum memory for one lane is 8 KiB; 1 MiB and one pass hash in well under a millisecond. */
const TEST_ARGON2_COST = { memoryCost: 1024, timeCost: 1 };

setArgon2CostForTests(TEST_ARGON2_COST);

/** Back to the production parameters; returns the undo (a beforeEach cleanup, or for onTestFinished). */
export function useProductionPasswordHashing(): () => void {
  setArgon2CostForTests(undefined);
  return () => setArgon2CostForTests(TEST_ARGON2_COST);
}
