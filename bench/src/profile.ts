/**
 * `pnpm --filter @jwt-guard/bench run profile [--seconds S] [--alg RS256,HS256]` (after `pnpm build`): where jwt-guard's
 * per-token time goes. For each algorithm, a child `node --cpu-prof` verifies distinct pre-minted
 * tokens (minted here, in the parent, so signing stays out of the profile) one after the other
 * with the built @jwt-guard/core for S seconds; then the .cpuprofile is summarised by self time.
 *
 * `--nest express,fastify`: Part D's Nest servers instead, floor and jwt-guard side by side (src/profile-nest.ts).
 *
 * Profiles and summaries are written to bench/profiles/.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AUDIENCE, BENCH_DIR, ISSUER } from './common.js';
import { profileNest } from './profile-nest.js';
import { summarise, type CpuProfile } from './profile-summary.js';
import { keysFor, poolFor, type BenchAlgorithm } from './tokens.js';

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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string' }, alg: { type: 'string' }, pool: { type: 'string' }, nest: { type: 'string' } },
  });

  const seconds = Number(values.seconds ?? 8);
  if (values.nest !== undefined) {
    // Part D's Nest servers instead of the verify loop: see src/profile-nest.ts.
    const platforms = values.nest.split(',').map((name) => {
      if (name !== 'express' && name !== 'fastify') throw new Error(`--nest takes express and/or fastify, not ${name}`);
      return name;
    });
    const summary = await profileNest(platforms, seconds);
    mkdirSync(PROFILE_DIR, { recursive: true });
    writeFileSync(path.join(PROFILE_DIR, 'nest.md'), `${summary}\n`);
    process.stdout.write(`${summary}\n`);
    return;
  }
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
