import { isJwtGuardError } from '@jwt-guard/core';
import { parseCommandArgs } from './args.js';
import { auditCommand, AUDIT_USAGE } from './audit-command.js';
import { optionsFromFlags } from './flag-options.js';
import { EXIT, inspectToken, type InspectOptions } from './inspect.js';
import { formatEnv, generateKeys, KEYGEN_ALGORITHMS } from './keygen.js';
import { mintDevToken } from './mint.js';
import { parseSecretEncoding } from './secret.js';
import { boundDepth, escapeLines } from './terminal.js';
import { UsageError } from './time.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Reads the token from stdin when it is given as "-" or not at all. */
  readStdin: () => Promise<string>;
  env?: Record<string, string | undefined>;
  /** What `jwt-guard --version` prints: the bin reads it from the package's package.json. */
  version?: string;
}

const KEYGEN_USAGE = `  keygen  --alg HS256|HS384|HS512|RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384|ES512|EdDSA [--kid ID] [--bits 2048] [--format env|json] [--prefix JWT]
          A strong secret, or a key pair with its public JWKS, ready to paste into env vars (JWT_KID names the kid).
          --kid: 1-128 characters of A-Z a-z 0-9 . _ : -   --bits (RSA only): 2048 to 8192.
          An HS secret is used as is: its text (UTF-8) is the key; give --secret-encoding where you store it encoded.
`;

const INSPECT_USAGE = `  inspect <token | -> [--issuer URL]... [--audience AUD]...
          [--jwks-uri URL | --jwks FILE | --jwks-env NAME | --public-key FILE | --public-key-env NAME | --secret-env NAME]
          [--secret-encoding utf8|base64url|base64|hex] [--discovery] [--alg ALG]... [--typ TYP] [--required-claim NAME]... [--clock-tolerance 30s] [--max-token-age 1h]
          [--max-token-length N (at most 1048576)] [--revoked-jti JTI]... [--config FILE.json] [--json]
          --secret-encoding: how the app reads the secret, secretFromEnv(NAME, { encoding }); default utf8 (the text as is).
          Decodes the token without trusting it; with a key, runs the jwt-guard verifier and explains a refusal.
          "-" (or no token) reads it from stdin, which keeps it out of your shell history.
`;

const MINT_USAGE = `  mint    --issuer URL --audience AUD (--secret-env NAME | --private-key-env NAME | --private-key FILE)
          [--secret-encoding utf8|base64url|base64|hex] [--alg ALG] [--kid ID] [--sub SUBJECT] [--scope SCOPE]... [--exp 15m] [--nbf 0s]
          [--typ at+jwt] [--claim name=value]... [--force]
          A token for local development. Refuses keys or issuers that look like production unless --force.
          --exp -1m (or --exp=-1m) mints an already expired token.
          The kid: the private JWK's kid; else --kid; else, for --private-key-env X_PRIVATE_KEY, the matching key's in
          $X_JWKS, else $X_KID; for --secret-env X_SECRET, $X_SECRET_KID. The alg: the private JWK's alg, else the
          matching key's in $X_JWKS (a different --alg is an error), else --alg, else from the key (RSA: RS256, warned).
`;

const EXIT_CODES = `Exit codes: 0 verified (or decoded, without a key), 1 token refused, 2 usage or configuration error, 3 key source unreachable.
          audit: 0 no finding at or above --fail-on, 1 some finding at or above it, 2 usage error.
`;

export const USAGE = `Usage: jwt-guard <command> [options]     (jwt-guard <command> --help for one command)

${KEYGEN_USAGE}
${INSPECT_USAGE}
${MINT_USAGE}
${AUDIT_USAGE}
${EXIT_CODES}`;

const COMMAND_USAGE: Record<string, string> = {
  keygen: `Usage: jwt-guard keygen [options]\n\n${KEYGEN_USAGE}\n${EXIT_CODES}`,
  inspect: `Usage: jwt-guard inspect [token] [options]\n\n${INSPECT_USAGE}\n${EXIT_CODES}`,
  mint: `Usage: jwt-guard mint [options]\n\n${MINT_USAGE}\n${EXIT_CODES}`,
  audit: `Usage: jwt-guard audit [options] < tokens.txt\n\n${AUDIT_USAGE}\n${EXIT_CODES}`,
};

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
      case 'audit':
        return await auditCommand(rest, io);
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
      case '--version':
      case '-v':
        io.stdout(`${io.version ?? 'unknown'}\n`);
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
      else if (usage !== undefined && ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') || /unknown option/.test((error as Error).message))) io.stderr(`(jwt-guard ${command} --help for its options)\n`);
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
  const { values } = parseCommandArgs('keygen', args);
  if (values.alg === undefined) throw new UsageError(`keygen: --alg is required (${KEYGEN_ALGORITHMS.join(', ')}).`);
  const keys = generateKeys({ alg: values.alg, ...(values.kid === undefined ? {} : { kid: values.kid }), ...(values.bits === undefined ? {} : { bits: Number(values.bits) }) });
  if (values.format === 'json') io.stdout(`${JSON.stringify(keys, null, 2)}\n`);
  else if (values.format === 'env') io.stdout(formatEnv(keys, values.prefix));
  else throw new UsageError('keygen: --format is env or json.');
  return 0;
}

async function inspect(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('inspect', args);
  if (positionals.length > 1) throw new UsageError('inspect: give one token.');
  const argument = positionals[0];
  const token = (argument === undefined || argument === '-' ? await io.readStdin() : argument).trim().replace(/^Bearer\s+/i, '');
  if (token === '') throw new UsageError('inspect: no token given (pass it as the argument, or "-" to read stdin).');

  const options = await optionsFromFlags(values, io.env);
  const set = <K extends keyof InspectOptions>(key: K, value: InspectOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value;
  };
  set('publicKeyFile', values['public-key']);
  set('publicKeyEnv', values['public-key-env']);
  if (values.secret !== undefined) {
    io.stderr('jwt-guard: warning: --secret puts the secret in your shell history and process list; prefer --secret-env NAME.\n');
    options.secret = values.secret;
  }
  set('requiredClaims', values['required-claim']);
  set('clockTolerance', values['clock-tolerance']);
  set('maxTokenAge', values['max-token-age']);
  if (values['max-token-length'] !== undefined) options.maxTokenLength = Number(values['max-token-length']);
  options.onWarning = (message) => io.stderr(`jwt-guard: warning: ${message}\n`);

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

async function mint(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs('mint', args);
  const token = await mintDevToken({
    ...(io.env === undefined ? {} : { env: io.env }),
    ...(values['secret-env'] === undefined ? {} : { secretEnv: values['secret-env'] }),
    ...(values['secret-encoding'] === undefined ? {} : { secretEncoding: parseSecretEncoding(values['secret-encoding']) }),
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
