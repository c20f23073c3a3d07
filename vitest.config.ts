import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

// Tests run against the TypeScript sources, one module instance per package; the built `dist`
// output is exercised separately by the packaging tests (import, require, Jest).
export default defineConfig({
  resolve: {
    alias: {
      // Subpaths before their package: the first entry whose name prefixes the import wins.
      // Subpaths before their package: an alias also matches what starts with it.
      '@jwt-guard/session/express': fileURLToPath(new URL('./packages/session/src/express.ts', import.meta.url)),
      '@jwt-guard/session/koa': fileURLToPath(new URL('./packages/session/src/koa.ts', import.meta.url)),
      '@jwt-guard/session/fastify': fileURLToPath(new URL('./packages/session/src/fastify.ts', import.meta.url)),
      '@jwt-guard/core': pkg('core'),
      '@jwt-guard/express': pkg('express'),
      '@jwt-guard/koa': pkg('koa'),
      '@jwt-guard/fastify': pkg('fastify'),
      '@jwt-guard/testing': pkg('testing'),
      '@jwt-guard/redis': pkg('redis'),
      '@jwt-guard/cli': pkg('cli'),
      '@jwt-guard/metrics': pkg('metrics'),
      '@jwt-guard/session': pkg('session'),
      '@jwt-guard/nestjs': pkg('nestjs'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/packaging/jest/**'],
    testTimeout: 20_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one, on CI's 2. Most files wait on servers
    // (Redis, Chromium, HTTP on loopback) more than they compute, so two run side by side.
    maxWorkers: 2,
  },
});
