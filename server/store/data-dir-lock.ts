import { openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import path from "node:path";

export class DataDirLockedError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The embedded database is files driven by one in-process PostgreSQL; a second process on the same files
 * (say the CLI while the server runs) would corrupt them. A pid file makes the second opener fail clearly.
 * A lock left by a dead process is taken over.
 */
export function lockDataDir(dir: string): () => void {
  const file = path.join(dir, "lock.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number(readFileSync(file, "utf8").trim());
      // Our own pid in the file means a previous run of a container reused it: the lock is stale.
      if (holder && holder !== process.pid && alive(holder)) {
        throw new DataDirLockedError(
          `the embedded database in ${dir} is in use by process ${holder}; stop it first (or use DATABASE_URL)`,
        );
      }
      rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new DataDirLockedError(`could not lock ${dir}`);
}

/** The live process holding the data directory's lock, if any (a running or starting server). */
export function dataDirHolder(dir: string): number | undefined {
  try {
    const holder = Number(readFileSync(path.join(dir, "lock.pid"), "utf8").trim());
    return holder && holder !== process.pid && alive(holder) ? holder : undefined;
  } catch {
    return undefined;
  }
}
