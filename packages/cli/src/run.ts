import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isJwtGuardError } from '@jwt-guard/core';
import { EXIT, inspectToken, type InspectOptions } from './inspect.js';
import { formatEnv, generateKeys, KEYGEN_ALGORITHMS } from './keygen.js';
import { mintDevToken } from './mint.js';
import { boundDepth, escapeLines } from './terminal.js';
import { UsageError } from './time.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Reads the token from stdin when it is given as "-" or not at all. */
  readStdin: () => Promise<string>;
  env?: Record<string, string | undefined>;
}

const KEYGEN_USAGE = `  keygen  --alg HS256|HS384|HS512|RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384|ES512|EdDSA [--kid ID] [--bits 2048] [--format env|json] [--prefix JWT]
          A strong secret, or a key pair with its public JWKS, ready to paste into env vars (JWT_KID names the kid).
          --kid: 1-128 characters of A-Z a-z 0-9 . _ : -   --bits (RSA): 2048 to 8192.
`;

const INSPECT_USAGE = `  inspect <token | -> [--issuer URL]... [--audience AUD]...
          [--jwks-uri URL | --jwks FILE | --jwks-env NAME | --public-key FILE | --public-key-env NAME | --secret-env NAME]
          [--discovery] [--alg ALG]... [--typ TYP] [--required-claim NAME]... [--clock-tolerance 30s] [--max-token-age 1h]
          [--max-token-length N] [--revoked-jti JTI]... [--config FILE.json] [--json]
          Decodes the token without trusting it; with a key, runs the jwt-guard verifier and explains a refusal.
          "-" (or no token) reads it from stdin, which keeps it out of your shell history.
`;

const MINT_USAGE = `  mint    --issuer URL --audience AUD (--secret-env NAME | --private-key-env NAME | --private-key FILE)
          [--alg ALG] [--kid ID] [--sub SUBJECT] [--scope SCOPE]... [--exp 15m] [--nbf 0s] [--typ at+jwt] [--claim name=value]... [--force]
          A token for local development. Refuses keys or issuers that look like production unless --force.
          --exp -1m (or --exp=-1m) mints an already expired token; the kid comes from a private JWK, else --kid.
`;

const EXIT_CODES = `Exit codes: 0 verified (or decoded, without a key), 1 token refused, 2 usage or configuration error, 3 key source unreachable.
`;

export const USAGE = `Usage: jwt-guard <command> [options]     (jwt-guard <command> --help for one command)

${KEYGEN_USAGE}
${INSPECT_USAGE}
${MINT_USAGE}
${EXIT_CODES}`;

const COMMAND_USAGE: Record<string, string> = {
  keygen: `Usage: jwt-guard keygen [options]\n\n${KEYGEN_USAGE}\n${EXIT_CODES}`,
  inspect: `Usage: jwt-guard inspect [token] [options]\n\n${INSPECT_USAGE}\n${EXIT_CODES}`,
  mint: `Usage: jwt-guard mint [options]\n\n${MINT_USAGE}\n${EXIT_CODES}`,
};

/**
 * `--exp -1m` is "ambiguous" to node's parseArgs (it looks like an option); a negative duration is
 * how a test asks for an expired token, so such a value is glued to its option (`--exp=-1m`). So is
 * a PEM pasted where a path goes, so that the user hears "use --public-key-env", not "ambiguous".
 */
function glueDashValues(args: readonly string[], options: ReadonlySet<string>): string[] {
  const result: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    const next = args[index + 1];
    const glue = next !== undefined && ((SPAN_OPTIONS.has(arg) && /^-\d/.test(next)) || (PATH_OPTIONS.has(arg) && next.startsWith('-----BEGIN')));
    if (options.has(arg) && glue) {
      result.push(`${arg}=${next}`);
      index += 1;
    } else {
      result.push(arg);
    }
  }
  return result;
}

const SPAN_OPTIONS = new Set(['--exp', '--nbf', '--clock-tolerance', '--max-token-age']);
const PATH_OPTIONS = new Set(['--jwks', '--public-key', '--private-key']);
const GLUED_OPTIONS = new Set([...SPAN_OPTIONS, ...PATH_OPTIONS]);

/** Runs one command line; returns the exit code of docs/cli.md's table (0 verified, 1 refused, 2 usage or configuration, 3 key source unreachable). */
export async function runCli(argv: readonly string[], outerIo: CliIo): Promise<number> {
  // Messages can quote what the user or a token gave (a kid, a path, a core hint): never raw.
  const io: CliIo = { ...outerIo, stderr: (text) => outerIo.stderr(escapeLines(text)) };
  const [command, ...rest] = argv;
  const usage = command === undefined ? undefined : COMMAND_USAGE[command];
  if (usage !== undefined && rest.some((arg) => arg === '--help' || arg === '-h')) {
    io.stdout(usage);
    return EXIT.ok;
  }
  try {
    switch (command) {
      case 'keygen':
        return keygen(rest, io);
      case 'inspect':
        return await inspect(rest, io);
      case 'mint':
        return await mint(rest, io);
      case 'help':
        // `jwt-guard help mint` is `jwt-guard mint --help`.
        {
          const one = rest[0] === undefined ? undefined : COMMAND_USAGE[rest[0]];
          if (one !== undefined) {
            io.stdout(one);
            return EXIT.ok;
          }
        }
        io.stdout(USAGE);
        return EXIT.ok;
      case undefined:
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}.`);
    }
  } catch (error) {
    if (error instanceof UsageError || isJwtGuardError(error) || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`jwt-guard: ${(error as Error).message}\n`);
      if (error instanceof UsageError && /unknown command/.test(error.message)) io.stderr(USAGE);
      else if (usage !== undefined && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) io.stderr(`(jwt-guard ${command} --help for its options)\n`);
      return EXIT.usage;
    }
    if ((error as { code?: string }).code === 'ENOENT') {
      io.stderr(`jwt-guard: file not found: ${(error as { path?: string }).path ?? (error as Error).message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

function keygen(args: string[], io: CliIo): number {
  const { values } = parseArgs({
    args,
    options: { alg: { type: 'string' }, kid: { type: 'string' }, bits: { type: 'string' }, format: { type: 'string', default: 'env' }, prefix: { type: 'string', default: 'JWT' } },
    strict: true,
  });
  if (values.alg === undefined) throw new UsageError(`keygen: --alg is required (${KEYGEN_ALGORITHMS.join(', ')}).`);
  const keys = generateKeys({ alg: values.alg, ...(values.kid === undefined ? {} : { kid: values.kid }), ...(values.bits === undefined ? {} : { bits: Number(values.bits) }) });
  if (values.format === 'json') io.stdout(`${JSON.stringify(keys, null, 2)}\n`);
  else if (values.format === 'env') io.stdout(formatEnv(keys, values.prefix));
  else throw new UsageError('keygen: --format is env or json.');
  return 0;
}

async function inspect(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: glueDashValues(args, GLUED_OPTIONS),
    allowPositionals: true,
    options: {
      issuer: { type: 'string', multiple: true },
      audience: { type: 'string', multiple: true },
      'jwks-uri': { type: 'string' },
      jwks: { type: 'string' },
      'jwks-env': { type: 'string' },
      'public-key': { type: 'string' },
      'public-key-env': { type: 'string' },
      'secret-env': { type: 'string' },
      secret: { type: 'string' },
      discovery: { type: 'boolean' },
      alg: { type: 'string', multiple: true },
      typ: { type: 'string' },
      'required-claim': { type: 'string', multiple: true },
      'clock-tolerance': { type: 'string' },
      'max-token-age': { type: 'string' },
      'max-token-length': { type: 'string' },
      'revoked-jti': { type: 'string', multiple: true },
      config: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  if (positionals.length > 1) throw new UsageError('inspect: give one token.');
  const argument = positionals[0];
  const token = (argument === undefined || argument === '-' ? await io.readStdin() : argument).trim().replace(/^Bearer\s+/i, '');
  if (token === '') throw new UsageError('inspect: no token given (pass it as the argument, or "-" to read stdin).');

  const fromFile: InspectOptions = values.config === undefined ? {} : await readConfig(values.config);
  const options: InspectOptions = { ...fromFile };
  const set = <K extends keyof InspectOptions>(key: K, value: InspectOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value;
  };
  set('issuer', values.issuer);
  set('audience', values.audience);
  set('jwksUri', values['jwks-uri']);
  set('jwksFile', values.jwks);
  set('jwksEnv', values['jwks-env']);
  set('publicKeyFile', values['public-key']);
  set('publicKeyEnv', values['public-key-env']);
  if (io.env !== undefined) options.env = io.env;
  set('secretEnv', values['secret-env']);
  if (values.secret !== undefined) {
    io.stderr('jwt-guard: warning: --secret puts the secret in your shell history and process list; prefer --secret-env NAME.\n');
    options.secret = values.secret;
  }
  set('discovery', values.discovery);
  set('algorithms', values.alg);
  set('typ', values.typ);
  set('requiredClaims', values['required-claim']);
  set('clockTolerance', values['clock-tolerance']);
  set('maxTokenAge', values['max-token-age']);
  if (values['max-token-length'] !== undefined) options.maxTokenLength = Number(values['max-token-length']);
  set('revokedJtis', values['revoked-jti']);

  const result = await inspectToken(token, options);
  if (values.json) {
    const report = {
      length: result.decoded.length,
      fingerprint: result.decoded.fingerprint,
      header: boundDepth(result.decoded.header),
      payload: boundDepth(result.decoded.payload),
      problem: result.decoded.problem,
      verified: result.verified,
      error: result.error,
      exitCode: result.exitCode,
    };
    // JSON.stringify escapes C0 controls but not C1, bidi or U+2028: those become \uXXXX too (still
    // valid JSON). Its only raw newlines are the indentation's.
    io.stdout(`${escapeLines(JSON.stringify(report, null, 2))}\n`);
  } else {
    io.stdout(`${result.lines.join('\n')}\n`);
  }
  return result.exitCode;
}

async function readConfig(file: string): Promise<InspectOptions> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) throw new UsageError(`--config ${file}: not valid JSON (${error.message}).`);
    throw error;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`--config ${file}: must hold a JSON object.`);
  const config = parsed as Record<string, unknown>;
  if ('secret' in config) throw new UsageError(`--config ${file}: do not put a secret in a config file; use "secretEnv": "NAME".`);
  return configOptions(config, `--config ${file}`);
}

type ConfigKind = 'string' | 'strings' | 'boolean' | 'number' | 'date';
/** Every key a config file may hold, and the JSON type it must have (a wrong one is a usage error, never a crash). */
const CONFIG_KEYS: Record<string, ConfigKind> = {
  issuer: 'strings',
  audience: 'strings',
  jwksUri: 'string',
  jwksFile: 'string',
  jwksEnv: 'string',
  publicKeyFile: 'string',
  publicKeyEnv: 'string',
  secretEnv: 'string',
  discovery: 'boolean',
  algorithms: 'strings',
  typ: 'string',
  requiredClaims: 'strings',
  clockTolerance: 'string',
  maxTokenAge: 'string',
  maxTokenLength: 'number',
  revokedJtis: 'strings',
  now: 'date',
};

function configOptions(config: Record<string, unknown>, where: string): InspectOptions {
  // Filled key by key below, each value checked against CONFIG_KEYS.
  const options: InspectOptions = {};
  const record = options as Record<string, unknown>;
  for (const [key, value] of Object.entries(config)) {
    const kind = CONFIG_KEYS[key];
    if (kind === undefined) throw new UsageError(`${where}: unknown key ${JSON.stringify(key)} (known: ${Object.keys(CONFIG_KEYS).join(', ')}).`);
    const wrong = (expected: string): UsageError => new UsageError(`${where}: "${key}" must be ${expected}; got ${JSON.stringify(value)?.slice(0, 80)}.`);
    switch (kind) {
      case 'string':
        // Durations may be written as a number of seconds.
        if (typeof value === 'number' && (key === 'clockTolerance' || key === 'maxTokenAge') && Number.isFinite(value)) record[key] = `${value}s`;
        else if (typeof value === 'string') record[key] = value;
        else throw wrong('a string');
        break;
      case 'strings':
        if ((key === 'issuer' || key === 'audience') && value === false) record[key] = false;
        else if (typeof value === 'string') record[key] = [value];
        else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) record[key] = value;
        else throw wrong('a string or an array of strings');
        break;
      case 'boolean':
        if (typeof value !== 'boolean') throw wrong('true or false');
        record[key] = value;
        break;
      case 'number':
        if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw wrong('a positive integer');
        record[key] = value;
        break;
      case 'date': {
        const date = typeof value === 'number' ? new Date(value * 1000) : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : undefined;
        if (date === undefined || Number.isNaN(date.getTime())) throw wrong('an ISO 8601 date-time ("2026-11-25T16:00:00Z") or Unix seconds');
        record[key] = date;
        break;
      }
    }
  }
  return options;
}

async function mint(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: glueDashValues(args, GLUED_OPTIONS),
    options: {
      issuer: { type: 'string' },
      audience: { type: 'string', multiple: true },
      'secret-env': { type: 'string' },
      'private-key-env': { type: 'string' },
      'private-key': { type: 'string' },
      alg: { type: 'string' },
      kid: { type: 'string' },
      sub: { type: 'string' },
      scope: { type: 'string', multiple: true },
      exp: { type: 'string' },
      nbf: { type: 'string' },
      typ: { type: 'string' },
      claim: { type: 'string', multiple: true },
      force: { type: 'boolean' },
    },
    strict: true,
  });
  const token = await mintDevToken({
    ...(io.env === undefined ? {} : { env: io.env }),
    ...(values['secret-env'] === undefined ? {} : { secretEnv: values['secret-env'] }),
    ...(values['private-key-env'] === undefined ? {} : { privateKeyEnv: values['private-key-env'] }),
    ...(values['private-key'] === undefined ? {} : { privateKeyFile: values['private-key'] }),
    ...(values.alg === undefined ? {} : { alg: values.alg }),
    ...(values.kid === undefined ? {} : { kid: values.kid }),
    ...(values.issuer === undefined ? {} : { issuer: values.issuer }),
    ...(values.audience === undefined ? {} : { audience: values.audience }),
    ...(values.sub === undefined ? {} : { subject: values.sub }),
    ...(values.scope === undefined ? {} : { scopes: values.scope.flatMap((scope) => scope.split(/\s+/).filter(Boolean)) }),
    ...(values.exp === undefined ? {} : { expiresIn: values.exp }),
    ...(values.nbf === undefined ? {} : { notBefore: values.nbf }),
    ...(values.typ === undefined ? {} : { typ: values.typ }),
    ...(values.claim === undefined ? {} : { claims: values.claim }),
    force: values.force === true,
    onWarning: (message) => io.stderr(`jwt-guard mint: ${message}\n`),
  });
  io.stdout(`${token}\n`);
  return 0;
}
