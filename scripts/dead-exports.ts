// `npm run lint` part two: exports nobody imports. Reads the whole program with the TypeScript compiler and
// reports every exported value (function, constant, class) of server/, web/ and client/ that no other file refers
// to; tests count as users. Exported types are left alone: they name the shapes of signatures that are used. The
// SDK's entry points are its public API and are exempt, as are generated files. Exit 1 when something is found.
import path from "node:path";
import ts from "typescript";

const root = path.resolve(import.meta.dirname, "..");
const CHECKED = ["server/", "web/src/"];
/** Modules whose exports are used from outside this repository (client/ as a whole is the SDK: not checked). */
const PUBLIC = new Set(["client/index.ts", "client/node.ts"]);

const configFile = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile);
const config = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
const program = ts.createProgram(config.fileNames, config.options);
const checker = program.getTypeChecker();
const relative = (file: ts.SourceFile) => path.relative(root, file.fileName).split(path.sep).join("/");
const ours = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !relative(f).startsWith(".."));

const resolve = (symbol: ts.Symbol): ts.Symbol => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);

/** Symbols referred to from a file other than the one declaring them. */
const usedElsewhere = new Set<ts.Symbol>();
for (const file of ours) {
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) {
      const symbol = checker.getSymbolAtLocation(node);
      if (symbol) {
        // Through every alias (import, re-export) to the declaration, noting each step as used.
        let current: ts.Symbol | undefined = symbol;
        for (let i = 0; current && i < 10; i++) {
          if (current.declarations?.some((d) => d.getSourceFile() !== file)) usedElsewhere.add(current);
          const next: ts.Symbol | undefined = current.flags & ts.SymbolFlags.Alias ? checker.getImmediateAliasedSymbol(current) : undefined;
          if (next === current) break;
          current = next;
        }
        const target = resolve(symbol);
        if (target.declarations?.some((d) => d.getSourceFile() !== file)) usedElsewhere.add(target);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

const dead: string[] = [];
for (const file of ours) {
  const name = relative(file);
  if (!CHECKED.some((dir) => name.startsWith(dir)) || PUBLIC.has(name)) continue;
  const moduleSymbol = checker.getSymbolAtLocation(file);
  if (!moduleSymbol) continue;
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const target = resolve(exported);
    if (usedElsewhere.has(exported) || usedElsewhere.has(target)) continue;
    // Types may be exported for the signatures they describe; values (functions, constants, classes) may not.
    if (!(target.flags & ts.SymbolFlags.Value)) continue;
    const declaration = exported.declarations?.[0];
    const line = declaration ? file.getLineAndCharacterOfPosition(declaration.getStart()).line + 1 : 0;
    dead.push(`${name}:${line} ${exported.name}`);
  }
}

if (dead.length) {
  console.error(`Exports nobody imports (remove them, or the export keyword):\n  ${dead.join("\n  ")}`);
  process.exit(1);
}
console.log("dead exports: none");
