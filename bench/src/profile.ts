/**
 * `pnpm --filter @jwt-guard/bench run profile [--seconds S] [--alg RS256,HS256]` (after `pnpm build`): where jwt-guard's
 * per-token time goes. For each algorithm, a child `node --cpu-prof` verifies distinct pre-minted
 * tokens (minted here, in the parent, so signing stays out of the profile) one after the other
 * with the built @jwt-guard/core for S seconds; then the .cpuprofile is summarised by self time.
 *
 * Profiles and summaries are written to bench/profiles/.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AUDIENCE, BENCH_DIR, ISSUER, markdownTable } from './common.js';
import { keysFor, poolFor, type BenchAlgorithm } from './tokens.js';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

interface LoopInput {
  algorithm: BenchAlgorithm;
  secret?: string;
  publicKeyPem?: string;
  tokens: string[];
  seconds: number;
}

const PROFILE_DIR = path.join(BENCH_DIR, 'profiles');

/**
 * Child side, plain JavaScript run by plain node (no tsx loader in the profiled process): verify
 * the tokens in a loop until the time is up. Reads the LoopInput JSON file named by argv[1].
 */
const LOOP_SCRIPT = `
import { readFileSync } from 'node:fs';
import { createVerifier } from '@jwt-guard/core';
const input = JSON.parse(readFileSync(process.argv[1], 'utf8'));
const common = { algorithms: [input.algorithm], issuer: ${JSON.stringify(ISSUER)}, audience: ${JSON.stringify(AUDIENCE)} };
const options = input.secret !== undefined ? { secret: input.secret, ...common } : { publicKey: input.publicKeyPem, ...common };
// A new verifier for each pass through the tokens, as in Part A: each token is then one it has not seen.
let verifier = createVerifier(options);
const deadline = performance.now() + input.seconds * 1000;
let count = 0, cursor = 0;
while (performance.now() < deadline) {
  for (let i = 0; i < 256; i++) {
    await verifier.verify(input.tokens[cursor]);
    cursor = (cursor + 1) % input.tokens.length;
    if (cursor === 0) verifier = createVerifier(options);
    count++;
  }
}
process.stdout.write(count + ' verifications, ' + ((input.seconds * 1e6) / count).toFixed(1) + ' µs each');
`;

function where(url: string): string {
  if (url === '') return '';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = clean.slice(nm + 'node_modules/'.length).split('/');
    const pkg = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    return `${pkg}/${rest.at(-1)}`;
  }
  const packages = clean.indexOf('/packages/');
  if (packages >= 0) return clean.slice(packages + 1);
  return clean.startsWith('node:') ? clean : path.basename(clean);
}

/** Self time per function (name + file + line), and per file. */
export function summarise(profile: CpuProfile, top = 15): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const total = [...self.values()].reduce((sum, value) => sum + value, 0);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, time] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const file = where(url);
    const name = `${functionName || '(anonymous)'}${file === '' ? '' : ` ${file}:${lineNumber + 1}`}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + time);
    const fileKey = file === '' ? functionName : file.replace(/:\d+$/, '');
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + time);
  }
  const table = (map: Map<string, number>, label: string) =>
    markdownTable(
      [label, 'self ms', 'self %'],
      [...map.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([name, time]) => [name, (time / 1000).toFixed(0), `${((100 * time) / total).toFixed(1)}%`]),
      ['l', 'r', 'r'],
    );
  return `${table(byFunction, 'function (self time)')}\n\n${table(byFile, 'file / category (self time)')}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string' }, alg: { type: 'string' }, pool: { type: 'string' } },
  });

  const seconds = Number(values.seconds ?? 8);
  const algorithms = (values.alg ?? 'RS256,HS256').split(',') as BenchAlgorithm[];
  mkdirSync(PROFILE_DIR, { recursive: true });
  for (const algorithm of algorithms) {
    const keys = await keysFor(algorithm);
    const tokens = await poolFor(algorithm, Number(values.pool ?? 16_384));
    const input: LoopInput = {
      algorithm,
      ...(algorithm === 'HS256' ? { secret: keys.secretString! } : { publicKeyPem: keys.publicKeyPem! }),
      tokens,
      seconds,
    };
    const inputFile = path.join(PROFILE_DIR, `${algorithm}.input.json`);
    writeFileSync(inputFile, JSON.stringify(input));
    const dir = path.join(PROFILE_DIR, algorithm);
    rmSync(dir, { recursive: true, force: true });
    const child = spawnSync(
      process.execPath,
      ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200', '--input-type=module', '-e', LOOP_SCRIPT, inputFile],
      { cwd: BENCH_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    rmSync(inputFile, { force: true });
    if (child.status !== 0) throw new Error(`profiling ${algorithm} failed (${child.status})`);
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))!;
    const summary =
      `## ${algorithm}: jwt-guard createVerifier().verify, distinct tokens, sequential awaits\n\n` +
      `${child.stdout.trim()} (under the profiler). Profile: bench/profiles/${algorithm}/${file}\n\n` +
      summarise(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile);
    writeFileSync(path.join(PROFILE_DIR, `${algorithm}.md`), summary);
    process.stdout.write(`${summary}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`profile failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
