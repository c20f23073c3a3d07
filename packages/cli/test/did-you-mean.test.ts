import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/run.js';

// Every command, and --config keys, say "did you mean" with core's closestName (the verifier's own).
async function stderrOf(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runCli(argv, { stdout: () => {}, stderr: (text) => (stderr += text), readStdin: async () => '' });
  return { code, stderr };
}

describe('did you mean', () => {
  it.each([
    [['inspect', 'a.b.c', '--audiance', 'api'], 'inspect: unknown option --audiance; did you mean --audience?'],
    [['mint', '--isuer', 'http://localhost/'], 'mint: unknown option --isuer; did you mean --issuer?'],
    [['keygen', '--alg', 'HS256', '--prefx', 'K'], 'keygen: unknown option --prefx; did you mean --prefix?'],
  ])('%j', async (argv, says) => {
    const run = await stderrOf(argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(says);
  });

  it('gives no suggestion for a name close to none', async () => {
    const run = await stderrOf(['mint', '--frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown option --frobnicate\n/);
  });

  it('a --config key typo', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'jwt-guard-cli-typo-')), 'c.json');
    writeFileSync(file, JSON.stringify({ secretEncodng: 'hex' }));
    const run = await stderrOf(['inspect', 'a.b.c', '--config', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown key "secretEncodng"; did you mean "secretEncoding"?');
  });
});
