// The history of a user's state (requested, approved, rejected, flagged, suspended), one row per change.
import type { Db } from "./db.js";

export interface StateChange { state: number; stateDescription: string; changedBy: string; createdAt: Date }

export async function recordStateChange(db: Db, userInternalId: string, change: StateChange): Promise<void> {
  await db.userStateChange.create({ data: { userId: userInternalId, ...change } });
}

/** The user's state changes, newest first. */
export function listStateChanges(db: Db, userInternalId: string, take = 50): Promise<StateChange[]> {
  return db.userStateChange.findMany({
    where: { userId: userInternalId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take,
    select: { state: true, stateDescription: true, changedBy: true, createdAt: true },
  });
}
