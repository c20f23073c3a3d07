/** How long one reading of the clock is reused, in ms: far below any detector's window (seconds). */
export const CLOCK_GRANULARITY_MS = 20;

let reading = 0;
let fresh = false;

function expire(): void {
  fresh = false;
}

/**
 * `Date.now()`, read at most once per `CLOCK_GRANULARITY_MS`: a clock read costs about as much as
 * everything else the detectors do for a request, and their windows are seconds long. A reading
 * is reused until a timer (one at a time, unref'd, none while idle) marks it stale, so under load
 * one read serves many requests and an idle process keeps no timer. Within one long synchronous
 * run the time stands still, as it does for anything else that run does.
 */
export function coarseNow(): number {
  if (fresh) return reading;
  reading = Date.now();
  fresh = true;
  setTimeout(expire, CLOCK_GRANULARITY_MS).unref();
  return reading;
}
