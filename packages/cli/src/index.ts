export { runCli, USAGE, type CliIo } from './run.js';
export { EXIT, inspectToken, MAX_TOKEN_LENGTH_LIMIT, wantsVerification, type ExitCode, type InspectOptions, type InspectResult } from './inspect.js';
export { escapeForTerminal, escapeLines, renderName, renderValue } from './terminal.js';
export { explain, type ExplainContext } from './explain.js';
export { decodeToken, fingerprint, type DecodedToken } from './decode.js';
export { generateKeys, formatEnv, shellQuote, KEYGEN_ALGORITHMS, KID_PATTERN, RSA_BITS, type GeneratedKeys, type KeygenAlgorithm, type KeygenOptions } from './keygen.js';
export { mintDevToken, productionReasons, isLocalHost, type MintCliOptions } from './mint.js';
export { relative, describeTime, UsageError } from './time.js';
export { humanSpan } from '@jwt-guard/core';
