import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** These tests run the built bin, as users do; build it once if `pnpm build` has not. */
export function ensureBuilt(): void {
  if (!existsSync(CLI)) execFileSync('pnpm', ['run', 'build'], { cwd: PACKAGE_DIR, stdio: 'ignore' });
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js ...args`, optionally with stdin and extra environment variables. */
export function runCli(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, NODE_ENV: 'test', ...options.env }, timeout: 50_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 99;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.stdin ?? '');
  });
}

/** keygen's `--format env` output as the variables a `.env` loader would set (PEM `\n` escapes expanded). */
export function parseEnv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2] ?? '';
    if (value.startsWith("'")) value = value.slice(1, -1);
    else if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\n/g, '\n');
    values[match[1] ?? ''] = value;
  }
  return values;
}
