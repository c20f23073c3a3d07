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

it("the detectors' memory stays bounded under a million distinct tokens (each shared) and a million probing addresses", () => {
  const script = fileURLToPath(new URL('./memory/million-detections.ts', import.meta.url));
  const output = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, '1000000'], { encoding: 'utf8', timeout: 150_000 });
  const result = JSON.parse(output.trim().split('\n').at(-1)!) as { total: number; events: number; tokens: number; addresses: number; blocked: number; heapGrowthMb: number; seconds: number };
  expect(result.total).toBe(1_000_000);
  // Every token tripped token_shared once and every address forgery_probe once: detection kept working under the flood.
  expect(result.events).toBe(2_000_000);
  // At most maxEntries (100 000) of each is remembered, and the heap shows it (no token kept).
  for (const size of [result.tokens, result.addresses, result.blocked]) expect(size).toBeLessThanOrEqual(100_000);
  expect(result.heapGrowthMb).toBeLessThan(60);
  console.log(`1M shared tokens + 1M probing addresses through the detectors in ${result.seconds.toFixed(1)} s: remembered ${result.tokens} tokens, ${result.addresses} probing and ${result.blocked} blocked addresses; heap +${result.heapGrowthMb.toFixed(1)} MB`);
}, 180_000);
