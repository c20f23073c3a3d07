import { packageBuild } from '../../tsup.shared.js';

// jose 6 is ESM only: the CJS build carries its own copy (core stays external, one instance).
export default packageBuild({ bundleIntoCjs: ['jose'] });
