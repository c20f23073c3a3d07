#!/usr/bin/env node
// Packaging lint for every public package (packages/*/package.json without "private": true),
// on the tarball `pnpm pack` makes, i.e. what `pnpm publish` would upload. Run after `pnpm build`.
//
// - publint --strict: package.json fields and `exports` vs. the packed files (warnings fail too;
//   suggestions are printed only).
// - attw (@arethetypeswrong/cli): every entry point resolves, with types, and with the right
//   module format, for import and require under node10, node16 (CJS and ESM) and bundler
//   resolution (the default "strict" profile). No rule is ignored: each package ships a CJS
//   build (jose bundled in) with its own `.d.cts` next to the ESM build and `.d.ts`, so every
//   resolution must come out clean. `--no-definitely-typed`: our packages carry their own types,
//   and the check must not depend on fetching @types from the registry. Exported data files that
//   no module system loads (YAML: @jwt-guard/metrics' alert rules) are left out of attw with
//   `--exclude-entrypoints`; publint still checks that they are in the tarball.
//
// Usage: node scripts/check-packages.mjs [package-name-or-dir ...]
import { execFile } from 'node:child_process';
import { readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { packPackage, publicPackages, repoRoot } from './lib/workspace-packages.mjs';

const execFileAsync = promisify(execFile);
const ATTW = path.join(repoRoot, 'node_modules', '.bin', 'attw');
const ATTW_ARGS = ['--no-definitely-typed', '--profile', 'strict', '--format', 'table-flipped', '--no-emoji'];

const only = process.argv.slice(2);
const packages = publicPackages().filter(
  (pkg) => only.length === 0 || only.some((want) => want === pkg.name || path.resolve(want) === pkg.dir),
);
if (packages.length === 0) {
  console.error(`check-packages: no public packages found${only.length ? ` matching ${only.join(', ')}` : ''}.`);
  process.exit(1);
}

const started = performance.now();
const workDir = await mkdtemp(path.join(tmpdir(), 'jwt-guard-check-packages-'));
const failures = [];

try {
  const tarballs = await Promise.all(packages.map((pkg) => packPackage(pkg.dir, workDir)));

  // Two at a time (CI has 2 cores); each package's report is printed whole, in order.
  const reports = await mapLimited(packages, 2, (pkg, index) => checkPackage(pkg, tarballs[index]));
  for (const report of reports) {
    console.log(report.lines.join('\n'));
    failures.push(...report.failures);
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.error(`\ncheck-packages: ${failures.length} problem(s) in ${seconds}s:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log(`\ncheck-packages: ${packages.length} package(s) ok (publint --strict, attw) in ${seconds}s`);

/** publint and attw on one packed package. */
async function checkPackage(pkg, tarball) {
  const lines = [`\n━━ ${pkg.name} (${path.relative(repoRoot, pkg.dir)}, ${path.basename(tarball)})`];
  const problems = [];

  const bytes = await readFile(tarball);
  const { messages, pkg: manifest } = await publint({
    pkgDir: 'package', // the tarball's top folder
    pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
    strict: true,
    level: 'suggestion',
  });
  for (const message of messages) {
    lines.push(`  publint ${message.type}: ${formatMessage(message, manifest) ?? message.code}`);
  }
  const blocking = messages.filter((message) => message.type !== 'suggestion');
  if (blocking.length > 0) problems.push(`${pkg.name}: publint reported ${blocking.length} error(s)`);
  else lines.push(`  publint: ok${messages.length ? ` (${messages.length} suggestion(s))` : ''}`);

  const dataEntries = Object.keys(manifest.exports ?? {}).filter((entry) => /\.ya?ml$/.test(entry));
  const exclude = dataEntries.length > 0 ? ['--exclude-entrypoints', ...dataEntries] : [];
  try {
    const { stdout } = await execFileAsync(ATTW, [tarball, ...ATTW_ARGS, ...exclude], {
      cwd: path.dirname(tarball),
      env: { ...process.env, FORCE_COLOR: '0' },
      maxBuffer: 16 * 1024 * 1024,
    });
    lines.push(indent(stdout), '  attw: ok');
  } catch (error) {
    const { stdout = '', stderr = '', code } = /** @type {{ stdout?: string, stderr?: string, code?: number }} */ (error);
    lines.push(indent(stdout + stderr));
    problems.push(`${pkg.name}: attw exited with ${code ?? 'an error'}`);
  }
  return { lines, failures: problems };
}

/** Like Promise.all(items.map(fn)), with at most `limit` running at once. */
async function mapLimited(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function indent(text) {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
