import { humanSpan } from '@jwt-guard/core';

/** `in 4 min` or `2 h ago`, relative to `now` (both in Unix seconds). */
export function relative(at: number, now: number): string {
  const delta = at - now;
  if (Math.abs(delta) < 1) return 'now';
  return delta > 0 ? `in ${humanSpan(delta)}` : `${humanSpan(delta)} ago`;
}

/** A NumericDate claim as `2026-11-25T16:00:00Z (expires in 4 min)`. */
export function describeTime(claim: string, value: unknown, now: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${JSON.stringify(value)} (not a NumericDate: ${claim} must be a number of seconds)`;
  const iso = new Date(value * 1000).toISOString().replace('.000Z', 'Z');
  const delta = value - now;
  switch (claim) {
    case 'exp':
      return `${iso} (${delta > 0 ? `expires ${relative(value, now)}` : `expired ${relative(value, now)}`})`;
    case 'nbf':
      // "valid from 4 min from now", never "valid from in 4 min".
      return `${iso} (${delta >= 1 ? `valid from ${humanSpan(delta)} from now` : `valid since ${relative(value, now)}`})`;
    case 'iat':
      return `${iso} (${delta > 0 ? `issued ${relative(value, now)} — in the future` : `issued ${relative(value, now)}`})`;
    default:
      return `${iso} (${relative(value, now)})`;
  }
}

/** Parses `30s`, `5m`, `2h`, `1d` or plain seconds. */
export function parseSpan(value: string, option: string): number {
  const match = /^(-?\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?$/.exec(value.trim());
  if (!match) throw new UsageError(`${option}: "${value}" is not a duration; use seconds or 30s, 15m, 2h, 1d.`);
  const unit = { s: 1, sec: 1, m: 60, min: 60, h: 3600, d: 86400 }[match[2] ?? 's'] ?? 1;
  return Math.round(Number(match[1]) * unit);
}

/** A mistake in how the command was called: printed without a stack, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
