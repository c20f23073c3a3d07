import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('a million distinct valid tokens through one verifier grow resident memory by less than 50 MB', () => {
  const script = fileURLToPath(new URL('./memory/million-tokens.ts', import.meta.url));
  const output = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, '1000000'], { encoding: 'utf8', timeout: 120_000 });
  const result = JSON.parse(output.trim().split('\n').at(-1)!) as { total: number; grownMb: number; heapGrowthMb: number; settledGrowthMb: number };
  expect(result.total).toBe(1_000_000);
  // What the verifier keeps alive (the bounded cache and admission set) after a full collection.
  expect(result.heapGrowthMb).toBeLessThan(50);
  // Resident memory once settled; the peak right after the run is printed, not asserted: it moves
  // with V8's lazy return of freed pages and with other processes on the machine.
  expect(result.settledGrowthMb).toBeLessThan(50);
  console.log(`1M tokens: RSS +${result.grownMb.toFixed(1)} MB right after, +${result.settledGrowthMb.toFixed(1)} MB settled; heap +${result.heapGrowthMb.toFixed(1)} MB`);
}, 150_000);
