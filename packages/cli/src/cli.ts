#!/usr/bin/env node
import { runCli } from './run.js';
import { escapeLines } from './terminal.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(escapeLines(`jwt-guard: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`));
    process.exitCode = 2;
  },
);
