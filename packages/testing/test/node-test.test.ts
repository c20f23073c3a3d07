import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const nodeTestFile = fileURLToPath(new URL('./node-test/issuer.node-test.mjs', import.meta.url));

beforeAll(() => {
  // The node:test file imports the built package (dist), as a user's project would.
  let built = '';
  try {
    built = readFileSync(new URL('../dist/index.js', import.meta.url), 'utf8');
  } catch {
    // not built yet
  }
  if (!built.includes('tokenWithoutScopes')) execFileSync('pnpm', ['run', 'build'], { cwd: packageDir, stdio: 'ignore' });
});

it('works under node:test (node --test on the built package)', async () => {
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(process.execPath, ['--test', '--test-reporter=tap', nodeTestFile], { cwd: packageDir, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 99, output: stdout + stderr });
    });
  });
  expect(code, output).toBe(0);
  expect(output).toMatch(/# pass 3/);
  expect(output).toMatch(/# fail 0/);
});
