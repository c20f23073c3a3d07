const UNIT_SECONDS: Readonly<Record<string, number>> = {
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: 86_400, day: 86_400, days: 86_400,
  w: 604_800, week: 604_800, weeks: 604_800,
  y: 31_557_600, yr: 31_557_600, yrs: 31_557_600, year: 31_557_600, years: 31_557_600,
};

const SPAN = /^([+-])?\s*(\d+(?:\.\d+)?)\s*([a-z]*)(?:\s+(ago))?$/i;

/**
 * A time span in whole seconds, relative to "now": a number of seconds (negative = in the past),
 * or a string such as `'30s'`, `'5m'`, `'2 hours'`, `'-10m'`, `'1h ago'`. A bare number string is seconds.
 */
export function spanToSeconds(value: number | string, option: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return Math.round(value);
  } else if (typeof value === 'string') {
    const match = SPAN.exec(value.trim());
    if (match !== null) {
      const [, sign, amount, unit = '', ago] = match;
      const factor = unit === '' ? 1 : UNIT_SECONDS[unit.toLowerCase()];
      if (factor !== undefined && !(sign !== undefined && ago !== undefined)) {
        const seconds = Math.round(Number(amount) * factor);
        return sign === '-' || ago !== undefined ? -seconds : seconds;
      }
    }
  }
  throw new TypeError(`${option} must be a number of seconds or a time span such as '30s', '5m', '-1h' or '2 days ago'; got ${JSON.stringify(value)}.`);
}

/** Unix seconds (NumericDate) of a Date. */
export function toUnixSeconds(date: Date): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new TypeError('now must be a valid Date.');
  return Math.floor(ms / 1000);
}
