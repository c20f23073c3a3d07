// Shared by scripts/check-packages.mjs and the packaging tests (test/packaging/).
//
// - publicPackages(): every packages/*/package.json that is not `private`, so packages that appear
//   later are picked up without editing any list.
// - packPackage(): `pnpm pack` one package, exactly what `pnpm publish` would upload
//   (`workspace:` ranges rewritten, `files` applied).
// - createConsumer(): a throw-away "consumer project" whose node_modules holds the packed
//   tarballs of every public package, unpacked, with their dependencies linked from the workspace:
//   what an application that ran `npm install @jwt-guard/...` would see, without a registry.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** @returns {{ name: string, dir: string, manifest: Record<string, any> }[]} */
export function publicPackages() {
  const packagesDir = path.join(repoRoot, 'packages');
  const found = [];
  for (const entry of readdirSync(packagesDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(packagesDir, entry.name);
    const manifestPath = path.join(dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (manifest.private === true) continue;
    found.push({ name: manifest.name, dir, manifest });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The pnpm to run: the one running us (`npm_execpath`, set by `pnpm run` and by `npx pnpm@10`)
 * when there is one, else `pnpm` from PATH.
 * @returns {[string, string[]]}
 */
export function pnpmCommand() {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm(\.c?js)?$/.test(path.basename(execPath)) && existsSync(execPath)) {
    return execPath.endsWith('js') ? [process.execPath, [execPath]] : [execPath, []];
  }
  return ['pnpm', []];
}

/**
 * Packs one package into `destination` with `pnpm pack`.
 * @returns {Promise<string>} the tarball's absolute path
 */
export async function packPackage(dir, destination) {
  await mkdir(destination, { recursive: true });
  const [command, prefix] = pnpmCommand();
  const { stdout } = await execFileAsync(command, [...prefix, 'pack', '--json', '--pack-destination', destination], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  const start = stdout.indexOf('{');
  const result = JSON.parse(stdout.slice(start));
  const filename = path.resolve(destination, path.basename(result.filename));
  if (!existsSync(filename)) throw new Error(`pnpm pack reported ${result.filename}, which does not exist`);
  return filename;
}

/**
 * Resolves a package.json `exports` target for a set of conditions, as Node does (first matching
 * key in object order wins; `default` always matches).
 * @returns {string | undefined}
 */
export function resolveExportTarget(target, conditions) {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const item of target) {
      const resolved = resolveExportTarget(item, conditions);
      if (resolved !== undefined) return resolved;
    }
    return undefined;
  }
  if (target && typeof target === 'object') {
    for (const [key, value] of Object.entries(target)) {
      if (key === 'default' || conditions.includes(key)) {
        const resolved = resolveExportTarget(value, conditions);
        if (resolved !== undefined) return resolved;
      }
    }
  }
  return undefined;
}

/**
 * The JavaScript entry points of a package: one per `exports` subpath (patterns, JSON and YAML skipped),
 * or "." from `main` when there is no `exports`.
 * @returns {{ subpath: string, specifier: string, exportsEntry: unknown }[]}
 */
export function entryPoints(manifest) {
  const { exports } = manifest;
  if (exports === undefined) return [{ subpath: '.', specifier: manifest.name, exportsEntry: manifest.main ?? './index.js' }];
  const isSubpathMap = exports && typeof exports === 'object' && !Array.isArray(exports) && Object.keys(exports).some((k) => k.startsWith('.'));
  const map = isSubpathMap ? exports : { '.': exports };
  return Object.entries(map)
    .filter(([subpath]) => !subpath.includes('*') && !/\.(json|ya?ml)$/.test(subpath)) // data files (package.json, a dashboard, alert rules) are not modules
    .map(([subpath, exportsEntry]) => ({
      subpath,
      specifier: subpath === '.' ? manifest.name : `${manifest.name}${subpath.slice(1)}`,
      exportsEntry,
    }));
}

/**
 * Builds a consumer project in a new temp folder.
 * @param {{ packages?: ReturnType<typeof publicPackages>, parent?: string }} [options]
 */
export async function createConsumer(options = {}) {
  const packages = options.packages ?? publicPackages();
  const root = await mkdtemp(path.join(options.parent ?? tmpdir(), 'jwt-guard-consumer-'));
  const nodeModules = path.join(root, 'node_modules');
  const tarballs = path.join(root, '.tarballs');
  await mkdir(nodeModules, { recursive: true });
  await writeFile(
    path.join(root, 'package.json'),
    JSON.stringify({ name: 'jwt-guard-consumer', private: true, version: '0.0.0' }, null, 2),
  );

  const ours = new Set(packages.map((pkg) => pkg.name));
  const installed = await Promise.all(
    packages.map(async (pkg) => {
      const tarball = await packPackage(pkg.dir, tarballs);
      const target = path.join(nodeModules, ...pkg.name.split('/'));
      await mkdir(target, { recursive: true });
      await execFileAsync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
      const manifest = JSON.parse(await readFile(path.join(target, 'package.json'), 'utf8'));
      // Dependencies (and the peers a real app would have installed) come from the workspace's
      // own install; our packages resolve to their packed siblings one level up.
      const wanted = new Set([
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.optionalDependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
      ]);
      for (const dep of wanted) {
        if (ours.has(dep)) continue;
        const source = path.join(pkg.dir, 'node_modules', ...dep.split('/'));
        if (!existsSync(source)) continue; // an optional peer nobody installed
        const link = path.join(target, 'node_modules', ...dep.split('/'));
        await mkdir(path.dirname(link), { recursive: true });
        await symlink(realpathSync(source), link, 'dir');
      }
      return { ...pkg, installedDir: target, tarball, packedManifest: manifest };
    }),
  );

  // Node's own types, for TypeScript consumers of declarations that mention node:crypto etc.
  const typesNode = path.join(repoRoot, 'node_modules', '@types', 'node');
  if (existsSync(typesNode)) {
    await mkdir(path.join(nodeModules, '@types'), { recursive: true });
    await symlink(realpathSync(typesNode), path.join(nodeModules, '@types', 'node'), 'dir');
  }

  return {
    root,
    nodeModules,
    packages: installed,
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}
