import { configError } from './errors.js';
import type { Duration } from './options.js';

const UNIT_SECONDS: Record<string, number> = {
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: 86400, day: 86400, days: 86400,
};

/** Parses `30`, `'30s'`, `'5 min'`, `'2h'` into seconds; anything else is a start-up error. */
export function durationToSeconds(value: Duration, optionName: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const unit = match?.[2]?.toLowerCase() || 's';
    const factor = UNIT_SECONDS[unit];
    if (match?.[1] !== undefined && factor !== undefined) return Number(match[1]) * factor;
  }
  throw configError(
    `${optionName} must be a non-negative number of seconds or a duration such as '30s', '5m', '2h'.`,
  );
}
