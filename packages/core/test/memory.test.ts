import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('a million distinct valid tokens through one verifier grow resident memory by less than 50 MB', () => {
  const script = fileURLToPath(new URL('./memory/million-tokens.ts', import.meta.url));
  const output = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, '1000000'], { encoding: 'utf8', timeout: 120_000 });
  const result = JSON.parse(output.trim().split('\n').at(-1)!) as { total: number; grownMb: number; settledGrowthMb: number };
  expect(result.total).toBe(1_000_000);
  expect(result.grownMb).toBeLessThan(50);
  expect(result.settledGrowthMb).toBeLessThan(50);
}, 150_000);
