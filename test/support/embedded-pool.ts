// The main suite's embedded databases are PGlite instances kept open and reused (see poolEmbeddedDatabases):
// its tests never hand a data directory to another process, except a CLI spawned against a running server.
import { poolEmbeddedDatabases } from "./databases.js";

poolEmbeddedDatabases();
