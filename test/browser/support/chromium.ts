// Debian's Chromium, driven headless by playwright-core (playwright's own browser download cannot work
// on these machines; scripts/ensure-services.sh installs the package when it is missing).
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps dialling Google's hosts, which this closed
// network refuses; --no-sandbox only because the suite may run as root (CI does).
const FLAGS = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface ChromiumSession {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile in a temporary folder: no cookie or cache survives from one test file to the next. */
export async function launchChromium(): Promise<ChromiumSession> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-services.sh (apt-get install chromium).`);
  const profile = await mkdtemp(join(tmpdir(), 'jwt-guard-chromium-'));
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: root ? [...FLAGS, '--no-sandbox'] : FLAGS,
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
