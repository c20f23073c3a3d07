/**
 * Packaging tests: the built `dist` output of every public package (packages/*, not private), as
 * an application gets it from the registry. Each package is packed with `pnpm pack` and unpacked
 * into a throw-away consumer project (see scripts/lib/workspace-packages.mjs); then, in child
 * processes so that real Node (not vitest's loader) does the loading:
 *
 * - ESM `import()` by package name exposes exactly the value exports its `.d.ts` declares;
 * - CJS `require()` exposes the same names, as its `.d.cts` declares, even with require(esm)
 *   turned off (the CJS build must not need an ESM-only dependency such as jose 6);
 * - re-exported core values are the very objects of @jwt-guard/core (no bundled second copy);
 * - Jest 30 (its own module system) requires every package and verifies a token with core;
 * - TypeScript consumers (node16, nodenext, bundler, node10) compile against the declarations.
 *
 * Needs `pnpm build` first (the root `pnpm test` does that).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createConsumer,
  entryPoints,
  publicPackages,
  repoRoot,
  resolveExportTarget,
  type Consumer,
  type EntryPoint,
  type WorkspacePackage,
} from '../../scripts/lib/workspace-packages.mjs';

const execFileAsync = promisify(execFile);
const packages = publicPackages();

/**
 * Packages whose framework peer ships ESM only (NestJS 12), with the peer's name: their CJS build
 * (for Nest 11, which is CommonJS; tested in test/nest11) requires that peer, so with Nest 12 it
 * loads only where require(esm) works (Node >= 20.19, TypeScript's nodenext), not in Jest's module
 * system or under node16 — as Nest 12 itself. Any other ESM-only module in their CJS build still fails.
 */
const ESM_ONLY_PEERS: Record<string, RegExp> = { '@jwt-guard/nestjs': /@nestjs[+/](common|core)/ };

const ESM_RUNTIME = ['node', 'import'];
const ESM_TYPES = ['types', 'node', 'import'];
const CJS_RUNTIME = ['node', 'require'];
const CJS_TYPES = ['types', 'node', 'require'];

interface ProbeResult {
  keys?: string[];
  /** Exported names whose value differs from @jwt-guard/core's export of the same name. */
  copies?: string[];
  error?: string;
}
type Probe = Record<string, ProbeResult>;

interface Entry extends EntryPoint {
  pkg: WorkspacePackage;
  esmTypes: string | undefined;
  cjsTypes: string | undefined;
}

const entries: Entry[] = packages.flatMap((pkg) =>
  entryPoints(pkg.manifest).map((entry) => ({
    ...entry,
    pkg,
    esmTypes: resolveExportTarget(entry.exportsEntry, ESM_TYPES),
    cjsTypes: resolveExportTarget(entry.exportsEntry, CJS_TYPES),
  })),
);
const specifiers = entries.map((entry) => entry.specifier);

let consumer: Consumer;
let esm: Probe;
let cjs: Probe;
let cjsWithoutRequireEsm: Probe;
/** Declared value exports, keyed by absolute path of a declaration file in the consumer. */
let declared: Map<string, string[]>;

const PROBE = (load: (specifier: string) => string): string => `
const specifiers = JSON.parse(process.argv[2]);
const describe = (error) => String((error && error.stack) || error);
const main = async () => {
  const results = {};
  let core;
  try { core = ${load("'@jwt-guard/core'")}; } catch {}
  for (const specifier of specifiers) {
    try {
      const mod = ${load('specifier')};
      const keys = Object.keys(mod).sort();
      const copies = core ? keys.filter((key) => key in core && mod[key] !== core[key]) : [];
      results[specifier] = { keys, copies };
    } catch (error) {
      results[specifier] = { error: describe(error) };
    }
  }
  process.stdout.write(JSON.stringify(results));
};
main().catch((error) => { console.error(error); process.exit(1); });
`;

async function runNode(args: string[], cwd: string): Promise<string> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // nothing of vitest's may leak into the child
  try {
    const { stdout } = await execFileAsync(process.execPath, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`node ${args.join(' ')} failed:\n${stdout}\n${stderr}`);
  }
}

function isValueExport(symbol: ts.Symbol, checker: ts.TypeChecker): boolean {
  const typeOnly = symbol.declarations?.some(
    (declaration) => ts.isExportSpecifier(declaration) && (declaration.isTypeOnly || declaration.parent.parent.isTypeOnly),
  );
  if (typeOnly) return false;
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  return (target.flags & ts.SymbolFlags.Value) !== 0;
}

function declaredValueExports(files: string[]): Map<string, string[]> {
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const result = new Map<string, string[]>();
  for (const file of files) {
    const source = program.getSourceFile(file);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    const names = moduleSymbol
      ? checker
          .getExportsOfModule(moduleSymbol)
          .filter((symbol) => isValueExport(symbol, checker))
          .map((symbol) => symbol.name)
      : [];
    result.set(file, names.sort());
  }
  return result;
}

function installed(entry: Entry, relative: string | undefined): string | undefined {
  if (relative === undefined) return undefined;
  return path.join(consumer.nodeModules, ...entry.pkg.name.split('/'), relative);
}

function describeMissingBuilds(): string[] {
  const missing: string[] = [];
  for (const entry of entries) {
    for (const conditions of [ESM_RUNTIME, ESM_TYPES, CJS_RUNTIME, CJS_TYPES]) {
      const target = resolveExportTarget(entry.exportsEntry, conditions);
      if (target !== undefined && !existsSync(path.join(entry.pkg.dir, target))) {
        missing.push(`${entry.pkg.name}: ${target}`);
      }
    }
  }
  return [...new Set(missing)];
}

beforeAll(async () => {
  expect(packages.length, 'no public packages found under packages/*').toBeGreaterThan(0);
  const missing = describeMissingBuilds();
  if (missing.length > 0) {
    throw new Error(`Build output missing (run \`pnpm build\` first):\n  ${missing.join('\n  ')}`);
  }
  consumer = await createConsumer({ packages });
  await writeFile(path.join(consumer.root, 'probe.mjs'), PROBE((s) => `await import(${s})`));
  await writeFile(path.join(consumer.root, 'probe.cjs'), PROBE((s) => `require(${s})`));
  const list = JSON.stringify(specifiers);
  const [esmOut, cjsOut, strictOut] = await Promise.all([
    runNode(['probe.mjs', list], consumer.root),
    runNode(['probe.cjs', list], consumer.root),
    runNode(['--no-experimental-require-module', 'probe.cjs', list], consumer.root),
  ]);
  esm = JSON.parse(esmOut) as Probe;
  cjs = JSON.parse(cjsOut) as Probe;
  cjsWithoutRequireEsm = JSON.parse(strictOut) as Probe;
  const typeFiles = entries.flatMap((entry) => [installed(entry, entry.esmTypes), installed(entry, entry.cjsTypes)]);
  declared = declaredValueExports(typeFiles.filter((file): file is string => file !== undefined));
}, 180_000);

afterAll(async () => {
  if (consumer && !process.env.JWT_GUARD_KEEP_CONSUMER) await consumer.dispose();
});

describe.each(entries)('$specifier', (entry) => {
  it('declares types for both import and require', () => {
    expect(entry.esmTypes, 'exports: no "types" for the import condition').toBeTypeOf('string');
    expect(entry.cjsTypes, 'exports: no "types" for the require condition').toBeTypeOf('string');
  });

  it('import() in Node exposes the value exports its .d.ts declares', () => {
    const result = esm[entry.specifier];
    expect(result?.error).toBeUndefined();
    expect(result?.keys?.length, 'no exports at all').toBeGreaterThan(0);
    expect(result?.keys).toEqual(declared.get(installed(entry, entry.esmTypes) ?? ''));
  });

  it('require() in Node exposes the same names, as its .d.cts declares', () => {
    const result = cjs[entry.specifier];
    expect(result?.error).toBeUndefined();
    expect(result?.keys).toEqual(esm[entry.specifier]?.keys);
    expect(result?.keys).toEqual(declared.get(installed(entry, entry.cjsTypes) ?? ''));
  });

  it('require() works without require(esm), as Jest and bundlers need', () => {
    const result = cjsWithoutRequireEsm[entry.specifier];
    const esmOnlyPeer = ESM_ONLY_PEERS[entry.pkg.name];
    if (esmOnlyPeer !== undefined) {
      // What fails is the require of the ESM-only peer, nothing of ours.
      expect(result?.error).toMatch(new RegExp(`ERR_REQUIRE_ESM[^\\n]*${esmOnlyPeer.source}`));
      return;
    }
    expect(
      result?.error,
      'the CJS build requires an ESM-only module: bundle it into the CJS output (bundleIntoCjs in tsup.config.ts)',
    ).toBeUndefined();
    expect(result?.keys).toEqual(cjs[entry.specifier]?.keys);
  });

  it('re-exports the very @jwt-guard/core objects (no second copy of core)', () => {
    expect(esm[entry.specifier]?.copies, 'ESM').toEqual([]);
    expect(cjs[entry.specifier]?.copies, 'CJS').toEqual([]);
  });
});

describe('Jest 30', () => {
  it('requires every package and verifies a token with @jwt-guard/core', async () => {
    const jestDir = path.join(consumer.root, 'jest-tests');
    await mkdir(jestDir, { recursive: true });
    const sources = path.join(repoRoot, 'test', 'packaging', 'jest');
    for (const file of await readdir(sources)) {
      if (file.endsWith('.test.cjs')) await cp(path.join(sources, file), path.join(jestDir, file));
    }
    const expected = entries
      .filter((entry) => entry.subpath === '.' && ESM_ONLY_PEERS[entry.pkg.name] === undefined)
      .map((entry) => ({ name: entry.pkg.name, exports: declared.get(installed(entry, entry.cjsTypes) ?? '') }));
    const jestBin = createRequire(path.join(repoRoot, 'package.json')).resolve('jest/bin/jest');
    const env: NodeJS.ProcessEnv = { ...process.env, JWT_GUARD_CONSUMER_DIR: consumer.root, JWT_GUARD_PACKAGES: JSON.stringify(expected) };
    delete env.NODE_OPTIONS;
    const args = [jestBin, '--ci', '--colors=false', '-c', path.join(sources, 'jest.config.cjs')];
    let output: string;
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, args, { cwd: consumer.root, env, maxBuffer: 16 * 1024 * 1024 });
      output = stdout + stderr;
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`Jest failed:\n${stdout}\n${stderr}`);
    }
    expect(output).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    expect(output).not.toMatch(/\d+ failed/);
  }, 120_000);
});

interface TsConsumer {
  name: string;
  options: ts.CompilerOptions;
  /** node10 knows nothing of `exports` subpaths; it is checked on the root entry points only. */
  rootEntriesOnly: boolean;
  files: (importable: Entry[]) => Record<string, string>;
}

const esmAndCjs = (importable: Entry[]): Record<string, string> => ({
  'esm.mts':
    importable.map((entry, i) => `import * as m${i} from '${entry.specifier}';`).join('\n') +
    `\nexport const modules: object[] = [${importable.map((_, i) => `m${i}`).join(', ')}];\n`,
  'cjs.cts':
    importable.map((entry, i) => `import m${i} = require('${entry.specifier}');`).join('\n') +
    `\nexport const modules: object[] = [${importable.map((_, i) => `m${i}`).join(', ')}];\n`,
});
const single = (importable: Entry[]): Record<string, string> => ({
  'index.ts':
    importable.map((entry, i) => `import * as m${i} from '${entry.specifier}';`).join('\n') +
    `\nexport const modules: object[] = [${importable.map((_, i) => `m${i}`).join(', ')}];\n`,
});

const tsConsumers: TsConsumer[] = [
  { name: 'node16', options: { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 }, rootEntriesOnly: false, files: esmAndCjs },
  { name: 'nodenext', options: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext }, rootEntriesOnly: false, files: esmAndCjs },
  { name: 'bundler', options: { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }, rootEntriesOnly: false, files: single },
  { name: 'node10', options: { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, esModuleInterop: true }, rootEntriesOnly: true, files: single },
];

describe('TypeScript consumers compile against the published declarations', () => {
  it.each(tsConsumers)('moduleResolution $name', async ({ name, options, rootEntriesOnly, files }) => {
    const dir = path.join(consumer.root, `ts-${name}`);
    await mkdir(dir, { recursive: true });
    const importable = rootEntriesOnly ? entries.filter((entry) => entry.subpath === '.') : entries;
    const roots: string[] = [];
    for (const [file, text] of Object.entries(files(importable))) {
      roots.push(path.join(dir, file));
      await writeFile(path.join(dir, file), text);
    }
    const program = ts.createProgram(roots, {
      ...options,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      types: ['node'],
      typeRoots: [path.join(consumer.nodeModules, '@types')],
      strict: true,
      noEmit: true,
      // Check our declaration files in full; errors inside third-party typings are filtered below.
      skipLibCheck: false,
    });
    // Diagnostics of our files only (the consumer's sources and the packed @jwt-guard
    // declarations): asking per file keeps TypeScript from checking all of @types/node etc.
    const ours = program.getSourceFiles().filter((file) => file.fileName.startsWith(consumer.root));
    const diagnostics = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...ours.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
    ];
    const problems = diagnostics.map((diagnostic) => {
      const where = diagnostic.file
        ? `${path.relative(consumer.root, diagnostic.file.fileName)}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}: `
        : '';
      return where + ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    });
    // node16 has no require(esm): a CJS consumer cannot import an ESM-only peer there, ours or its own.
    const esmOnlyPeerImport = (problem: string) =>
      name === 'node16' &&
      Object.entries(ESM_ONLY_PEERS).some(([pkg, peer]) => problem.startsWith(`node_modules/${pkg}/`) && problem.includes('is an ECMAScript module') && peer.test(problem));
    expect(ours.filter((file) => file.fileName.includes('/node_modules/@jwt-guard/')).length).toBeGreaterThan(0);
    expect(problems.filter((problem) => !esmOnlyPeerImport(problem))).toEqual([]);
  }, 90_000);
});
