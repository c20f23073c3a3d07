import { readFile } from 'node:fs/promises';
import type { InspectOptions } from './inspect.js';
import { SECRET_ENCODINGS } from './secret.js';
import { closestName } from '@jwt-guard/core';
import { UsageError } from './time.js';

/** Reads `inspect --config FILE`: the InspectOptions names, each value type-checked. */
export async function readConfig(file: string): Promise<InspectOptions> {
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

type ConfigKind = 'string' | 'strings' | 'boolean' | 'number' | 'date' | 'encoding';
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
  secretEncoding: 'encoding',
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
  const known = Object.keys(CONFIG_KEYS);
  for (const [key, value] of Object.entries(config)) {
    const kind = CONFIG_KEYS[key];
    if (kind === undefined) {
      const close = closestName(key, known);
      throw new UsageError(`${where}: unknown key ${JSON.stringify(key)}${close === undefined ? '' : `; did you mean ${JSON.stringify(close)}?`} (known: ${known.join(', ')}).`);
    }
    const wrong = (expected: string): UsageError => new UsageError(`${where}: "${key}" must be ${expected}; got ${JSON.stringify(value)?.slice(0, 80)}.`);
    switch (kind) {
      case 'string':
        // Durations may be written as a number of seconds.
        if (typeof value === 'number' && (key === 'clockTolerance' || key === 'maxTokenAge') && Number.isFinite(value)) record[key] = `${value}s`;
        else if (typeof value === 'string') record[key] = value;
        else throw wrong('a string');
        break;
      case 'encoding':
        if (typeof value !== 'string' || !(SECRET_ENCODINGS as readonly string[]).includes(value)) throw wrong(`one of ${SECRET_ENCODINGS.map((e) => `"${e}"`).join(', ')}`);
        record[key] = value;
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
