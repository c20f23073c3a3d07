import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const built = existsSync(`${dist}index.cjs`) && existsSync(`${dist}index.js`);

/**
 * The strongest proof that close() frees everything: a Node process that used a server (keep-alive
 * connection, a hung request) exits by itself once close() resolves. Runs against the built
 * package (ESM and CJS), so it is skipped until `pnpm --filter @jwt-guard/testing build` has run.
 */
const script = (load: string) => `
  ${load}
  (async () => {
    const issuer = await createTestIssuer({ algorithm: 'ES256' });
    await (await fetch(issuer.jwksUri)).json();                 // leaves a keep-alive connection
    const server = await serveJwks(issuer.jwks.keys);
    server.fail('hang');
    const hung = fetch(server.url).catch(() => 'dropped');      // a request that is never answered
    while (server.requestCount() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await Promise.all([issuer.close(), server.close()]);
    console.log('closed', await hung);
  })();
`;

function runNode(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: dist, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, 10_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

describe.skipIf(!built)('a process using the built package exits after close()', () => {
  it('ESM', async () => {
    const result = await runNode([
      '--input-type=module',
      '-e',
      script(`import { createTestIssuer, serveJwks } from ${JSON.stringify(`${dist}index.js`)};`),
    ]);
    expect(result).toMatchObject({ code: 0, timedOut: false, stdout: 'closed dropped\n' });
  });

  it('CJS (jose bundled in)', async () => {
    const result = await runNode(['-e', script(`const { createTestIssuer, serveJwks } = require(${JSON.stringify(`${dist}index.cjs`)});`)]);
    expect(result).toMatchObject({ code: 0, timedOut: false, stdout: 'closed dropped\n' });
  });
});
