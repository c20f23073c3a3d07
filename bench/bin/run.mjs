#!/usr/bin/env node
// Runs a bench entry point (`cli` or `profile`) on plain node: src/*.ts are transpiled to
// node_modules/.cache/jwt-guard-bench/*.js (out of git's and ESLint's way)
// with TypeScript's transpileModule (types are checked separately: `pnpm --filter @jwt-guard/bench
// run typecheck`), so no loader (tsx) runs in the measured processes. The compiled files import the
// BUILT @jwt-guard packages (their package.json exports point at dist/), never the sources.
//
//   node --expose-gc bin/run.mjs cli [flags]      node bin/run.mjs profile [flags]
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const srcDir = path.join(benchDir, 'src');
const outDir = path.join(benchDir, 'node_modules/.cache/jwt-guard-bench');
const entry = process.argv[2];
if (entry !== 'cli' && entry !== 'profile') {
  process.stderr.write('usage: node bin/run.mjs cli|profile [flags]\n');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
// ES modules, whatever lies above (module resolution stops looking for a package scope at node_modules).
writeFileSync(path.join(outDir, 'package.json'), '{ "type": "module", "private": true }\n');
for (const file of readdirSync(srcDir).filter((name) => name.endsWith('.ts'))) {
  const { outputText } = ts.transpileModule(readFileSync(path.join(srcDir, file), 'utf8'), {
    // Decorators as Nest expects them (Part D's nest-server.ts): legacy decorators with design-type metadata.
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
    },
    fileName: file,
  });
  writeFileSync(path.join(outDir, file.replace(/\.ts$/, '.js')), outputText);
}
process.argv.splice(2, 1); // the entry's own flags follow
await import(pathToFileURL(path.join(outDir, `${entry}.js`)).href);
