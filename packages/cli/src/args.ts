import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closestName } from '@jwt-guard/core';
import { UsageError } from './time.js';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** The configuration flags `inspect` and `audit` share (flag-options.ts maps them onto InspectOptions). */
const CONFIGURATION_OPTIONS = {
  issuer: { type: 'string', multiple: true },
  audience: { type: 'string', multiple: true },
  'jwks-uri': { type: 'string' },
  jwks: { type: 'string' },
  'jwks-env': { type: 'string' },
  'secret-env': { type: 'string' },
  'secret-encoding': { type: 'string' },
  discovery: { type: 'boolean' },
  alg: { type: 'string', multiple: true },
  typ: { type: 'string' },
  'revoked-jti': { type: 'string', multiple: true },
  config: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies OptionSpecs;

/** Every command's flags: what parseArgs accepts, and what "did you mean" chooses from. */
export const COMMAND_OPTIONS = {
  keygen: {
    alg: { type: 'string' },
    kid: { type: 'string' },
    bits: { type: 'string' },
    format: { type: 'string', default: 'env' },
    prefix: { type: 'string', default: 'JWT' },
  },
  inspect: {
    ...CONFIGURATION_OPTIONS,
    'public-key': { type: 'string' },
    'public-key-env': { type: 'string' },
    secret: { type: 'string' },
    'required-claim': { type: 'string', multiple: true },
    'clock-tolerance': { type: 'string' },
    'max-token-age': { type: 'string' },
    'max-token-length': { type: 'string' },
  },
  audit: {
    ...CONFIGURATION_OPTIONS,
    revocation: { type: 'boolean' },
    'max-lifetime': { type: 'string', default: '1h' },
    'min-ec-curve': { type: 'string', default: 'P-256' },
    'fail-on': { type: 'string', default: 'high' },
    timeout: { type: 'string', default: '5s' },
    'max-bytes': { type: 'string', default: '1048576' },
  },
  mint: {
    issuer: { type: 'string' },
    audience: { type: 'string', multiple: true },
    'secret-env': { type: 'string' },
    'secret-encoding': { type: 'string' },
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
} as const satisfies Record<string, OptionSpecs>;

export type CommandName = keyof typeof COMMAND_OPTIONS;

const SPAN_OPTIONS = new Set(['--exp', '--nbf', '--clock-tolerance', '--max-token-age', '--max-lifetime']);
const PATH_OPTIONS = new Set(['--jwks', '--public-key', '--private-key']);

/**
 * `--exp -1m` is "ambiguous" to node's parseArgs (it looks like an option); a negative duration is
 * how a test asks for an expired token, so such a value is glued to its option (`--exp=-1m`). So is
 * a PEM pasted where a path goes, so that the user hears "use --public-key-env", not "ambiguous".
 */
function glueDashValues(args: readonly string[]): string[] {
  const result: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    const next = args[index + 1];
    const glue = next !== undefined && ((SPAN_OPTIONS.has(arg) && /^-\d/.test(next)) || (PATH_OPTIONS.has(arg) && next.startsWith('-----BEGIN')));
    if (glue) {
      result.push(`${arg}=${next}`);
      index += 1;
    } else {
      result.push(arg);
    }
  }
  return result;
}

/** `--audiance` → "unknown option --audiance; did you mean --audience?", before parseArgs' own wording. */
function refuseUnknownOptions(command: CommandName, args: string[], options: OptionSpecs): void {
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const known = Object.keys(options);
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name in options) continue;
    const close = closestName(token.name, known);
    throw new UsageError(`${command}: unknown option ${token.rawName}${close === undefined ? '' : `; did you mean --${close}?`}`);
  }
}

/** One command's arguments, parsed strictly: an unknown or misspelt flag is a usage error (exit 2). */
export function parseCommandArgs<C extends CommandName>(command: C, rawArgs: readonly string[]): ParsedCommand<C> {
  const options = COMMAND_OPTIONS[command];
  const args = glueDashValues(rawArgs);
  refuseUnknownOptions(command, args, options);
  const parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  // Only inspect takes a positional (the token).
  if (command !== 'inspect' && parsed.positionals.length > 0) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(parsed.positionals[0])}.`);
  return parsed;
}

/** What parseArgs makes of command C's flags. */
export type ParsedCommand<C extends CommandName> = ReturnType<typeof parseArgs<{ options: (typeof COMMAND_OPTIONS)[C]; strict: true; allowPositionals: true }>>;
