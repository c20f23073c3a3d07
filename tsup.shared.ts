import { defineConfig, type Options } from 'tsup';

/**
 * One build recipe for every package: ESM and CJS side by side, each with its own `.d.ts`/`.d.cts`.
 * jose 6 ships ESM only, so the CJS build inlines the packages named in `bundleIntoCjs` —
 * that is what lets `require()` and Jest load us on any Node 20.
 */
export function packageBuild(options: { entry?: string[]; bundleIntoCjs?: string[] } = {}) {
  const common: Options = {
    entry: options.entry ?? ['src/index.ts'],
    dts: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
  };
  return defineConfig([
    { ...common, format: ['esm'] },
    // Our public types never import from jose (core declares its own JWT/JWK types), because a CJS
    // consumer under `moduleResolution: node16` may not import types from an ESM-only package.
    { ...common, format: ['cjs'], noExternal: options.bundleIntoCjs ?? [] },
  ]);
}
