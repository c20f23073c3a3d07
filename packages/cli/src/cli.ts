#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { runCli } from './run.js';
import { escapeLines } from './terminal.js';

/** Tokens on stdin: far more than any sample needs, and a bound on what a piped file can cost. */
const MAX_STDIN_BYTES = 16 * 1024 * 1024;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_STDIN_BYTES) {
      process.stdin.destroy();
      throw new Error(`stdin is larger than ${MAX_STDIN_BYTES / 1024 / 1024} MiB: give fewer tokens.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** dist/cli.js → the package's package.json: the version that is installed, not one built in. */
function packageVersion(): string | undefined {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

const version = packageVersion();
runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin,
  ...(version === undefined ? {} : { version }),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(escapeLines(`jwt-guard: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`));
    process.exitCode = 2;
  },
);
