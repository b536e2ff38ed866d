/** The node arguments of package.json's start script (without the leading `node`). */
export function startArgs(): string[];
