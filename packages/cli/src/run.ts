import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isJwtGuardError } from '@jwt-guard/core';
import { inspectToken, type InspectOptions } from './inspect.js';
import { formatEnv, generateKeys, KEYGEN_ALGORITHMS } from './keygen.js';
import { mintDevToken } from './mint.js';
import { UsageError } from './time.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Reads the token from stdin when it is given as "-" or not at all. */
  readStdin: () => Promise<string>;
  env?: Record<string, string | undefined>;
}

export const USAGE = `Usage: jwt-guard <command> [options]

  keygen  --alg HS256|HS384|HS512|RS256|PS256|ES256|ES384|ES512|EdDSA [--kid ID] [--bits 2048] [--format env|json] [--prefix JWT]
          A strong secret, or a key pair with its public JWKS, ready to paste into env vars.

  inspect <token | -> [--issuer URL]... [--audience AUD]... [--jwks-uri URL | --jwks FILE | --public-key FILE | --secret-env NAME]
          [--discovery] [--alg ALG]... [--typ TYP] [--required-claim NAME]... [--clock-tolerance 30s] [--max-token-age 1h]
          [--max-token-length N] [--revoked-jti JTI]... [--config FILE.json] [--json]
          Decodes the token without trusting it; with a key, runs the jwt-guard verifier and explains a refusal.
          "-" (or no token) reads it from stdin, which keeps it out of your shell history.

  mint    --issuer URL --audience AUD (--secret-env NAME | --private-key-env NAME | --private-key FILE)
          [--alg ALG] [--kid ID] [--sub SUBJECT] [--scope SCOPE]... [--exp 15m] [--nbf 0s] [--typ at+jwt] [--claim name=value]... [--force]
          A token for local development. Refuses keys or issuers that look like production unless --force.
`;

/** Runs one command line; returns the exit code (0 ok, 1 token refused, 2 usage or configuration error). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'keygen':
        return keygen(rest, io);
      case 'inspect':
        return await inspect(rest, io);
      case 'mint':
        return await mint(rest, io);
      case undefined:
      case 'help':
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
      return 2;
    }
    if ((error as { code?: string }).code === 'ENOENT') {
      io.stderr(`jwt-guard: ${(error as Error).message}\n`);
      return 2;
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
    args,
    allowPositionals: true,
    options: {
      issuer: { type: 'string', multiple: true },
      audience: { type: 'string', multiple: true },
      'jwks-uri': { type: 'string' },
      jwks: { type: 'string' },
      'public-key': { type: 'string' },
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
  set('publicKeyFile', values['public-key']);
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
    io.stdout(`${JSON.stringify({ length: result.decoded.length, fingerprint: result.decoded.fingerprint, header: result.decoded.header, payload: result.decoded.payload, problem: result.decoded.problem, verified: result.verified, error: result.error }, null, 2)}\n`);
  } else {
    io.stdout(`${result.lines.join('\n')}\n`);
  }
  return result.verified === false ? 1 : 0;
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
  const asList = (value: unknown): string[] | false | undefined =>
    value === false ? false : typeof value === 'string' ? [value] : Array.isArray(value) ? value.map(String) : undefined;
  const options: InspectOptions = { ...(config as InspectOptions) };
  const issuer = asList(config.issuer);
  const audience = asList(config.audience);
  if (issuer !== undefined) options.issuer = issuer;
  if (audience !== undefined) options.audience = audience;
  return options;
}

async function mint(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
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
  });
  io.stdout(`${token}\n`);
  return 0;
}
