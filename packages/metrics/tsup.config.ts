import type { Options } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

// `shims`: the optional peers (prom-client, @opentelemetry/api) are loaded lazily with
// `createRequire(import.meta.url)`, which the CJS build needs shimmed.
export default (packageBuild() as Options[]).map((options) => ({ ...options, shims: true }));
