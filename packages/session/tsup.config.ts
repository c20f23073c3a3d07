import { packageBuild } from '../../tsup.shared.js';

// jose 6 is ESM only: the CJS build carries its own copy (core stays external, one instance).
// Each framework adapter is its own entry, so importing one never loads the other frameworks.
export default packageBuild({ entry: ['src/index.ts', 'src/express.ts', 'src/koa.ts', 'src/fastify.ts'], bundleIntoCjs: ['jose'] });
