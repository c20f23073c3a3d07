import type { Options } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

// The library (`src/index.ts`): ESM + CJS with types, like every package. The `jwt-guard` bin
// (`src/cli.ts` → `dist/cli.js`): ESM only (the package is `"type": "module"`), shebang kept, and
// made executable by tsup because it starts with `#!`.
const library = packageBuild({ bundleIntoCjs: ['jose'] }) as Options[];
export default [...library, { ...library[0], entry: ['src/cli.ts'], format: ['esm'], dts: false } satisfies Options];
