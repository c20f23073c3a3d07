/**
 * `pnpm fuzz [--runs N] [--seed S]`: the long fuzz run over the core verifier (default 1,000,000
 * runs, split across the properties of fuzz-properties.ts). Reproducible: the same seed and runs
 * replay the same cases. Ends with a vitest-style summary and exits non-zero on a failure.
 */
import fc from 'fast-check';
import { createFuzzContext, fuzzProperties, runsPerProperty } from './fuzz-properties.js';

function option(name: string): string | undefined {
  const args = process.argv.slice(2);
  const index = args.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (index === -1) return undefined;
  const arg = args[index]!;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[index + 1];
}

function integer(name: string, fallback: number): number {
  const raw = option(name);
  if (raw === undefined) return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(value) || value < 0) {
    process.stderr.write(`--${name} must be a non-negative integer, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<number> {
  const totalRuns = integer('runs', 1_000_000);
  const seed = integer('seed', Date.now() % 2 ** 31);
  const started = Date.now();
  const startedAt = new Date(started).toTimeString().slice(0, 8);
  process.stdout.write(`\n jwt-guard fuzz  seed ${seed}, ${totalRuns} runs (replay: pnpm fuzz --seed ${seed} --runs ${totalRuns})\n\n`);
  const ctx = createFuzzContext();
  const properties = fuzzProperties(ctx);
  const runs = runsPerProperty(properties, totalRuns);
  let passed = 0;
  let failed = 0;
  for (const [index, { name, property }] of properties.entries()) {
    const t0 = Date.now();
    try {
      await fc.assert(property, { numRuns: runs[index]!, seed: seed + index });
      passed += 1;
      process.stdout.write(` ✓ ${name} (${runs[index]} runs) ${Date.now() - t0}ms\n`);
    } catch (error) {
      failed += 1;
      process.stdout.write(` × ${name} (${runs[index]} runs) ${Date.now() - t0}ms\n`);
      process.stdout.write(`   ${String(error instanceof Error ? error.message : error).replace(/\n/g, '\n   ')}\n`);
    }
  }
  const total = passed + failed;
  const seconds = ((Date.now() - started) / 1000).toFixed(2);
  const tests = failed === 0 ? `${passed} passed (${total})` : `${failed} failed | ${passed} passed (${total})`;
  process.stdout.write(`\n Test Files  ${failed === 0 ? '1 passed' : '1 failed'} (1)\n      Tests  ${tests}\n   Start at  ${startedAt}\n   Duration  ${seconds}s (${totalRuns} runs, seed ${seed})\n`);
  process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n\n0 passed, 1 failed\n`);
    process.exit(1);
  },
);
