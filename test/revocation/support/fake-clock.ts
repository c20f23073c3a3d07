/**
 * A clock that runs CLOCK_OFFSET_MS ahead (or behind, if negative) in this process only, like a
 * machine whose clock is off. Preloaded before the fixture app, so that everything it loads reads
 * the shifted time: `node --import tsx --import ./fake-clock.ts app.ts` (support/apps.ts does this
 * for `clockOffsetMs`).
 *
 * Shifted: `Date.now()`, `new Date()` and `Date()`. Not shifted: `performance.now()` and
 * `performance.timeOrigin` (monotonic timers; the fixture's `x-received-at` latency stamps use
 * them and stay comparable with the other processes), and timers (setTimeout) which keep real time.
 */
const offsetMs = Number(process.env.CLOCK_OFFSET_MS ?? '0');
if (!Number.isFinite(offsetMs)) throw new Error(`fake-clock: CLOCK_OFFSET_MS is not a number: ${process.env.CLOCK_OFFSET_MS}`);

if (offsetMs !== 0) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const now = (): number => realNow() + offsetMs;
  const ShiftedDate = new Proxy(RealDate, {
    // `new Date()` is now + offset; `new Date(x)` is x, as ever.
    construct: (target, args: unknown[], newTarget) => Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget) as object,
    // `Date()` (no new) is a string of the current time.
    apply: () => new RealDate(now()).toString(),
    get: (target, property, receiver) => (property === 'now' ? now : (Reflect.get(target, property, receiver) as unknown)),
  });
  globalThis.Date = ShiftedDate;
}

export {};
