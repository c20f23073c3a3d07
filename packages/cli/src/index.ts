export { runCli, USAGE, type CliIo } from './run.js';
export { inspectToken, wantsVerification, type InspectOptions, type InspectResult } from './inspect.js';
export { explain, type ExplainContext } from './explain.js';
export { decodeToken, fingerprint, type DecodedToken } from './decode.js';
export { generateKeys, formatEnv, KEYGEN_ALGORITHMS, type GeneratedKeys, type KeygenAlgorithm, type KeygenOptions } from './keygen.js';
export { mintDevToken, productionReasons, type MintCliOptions } from './mint.js';
export { humanSpan, relative, describeTime, UsageError } from './time.js';
