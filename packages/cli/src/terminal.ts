/**
 * Everything `inspect` prints from a token is attacker-controlled: a claim name holding ESC, BEL,
 * U+009B (CSI), an OSC 52 clipboard write, a bidi override or a newline could repaint the screen or
 * forge a "✔ verified" line. These characters are shown as visible `\uXXXX` escapes instead.
 */
// C0 and C1 controls (incl. DEL), bidi marks/embeddings/overrides/isolates, line and paragraph
// separators, the BOM / zero-width no-break space.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

const visible = (ch: string): string => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** One line of untrusted text, safe for a terminal: no control, bidi or line-breaking character survives. */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, visible);
}

/** Like {@link escapeForTerminal}, but keeps the newlines between lines (for our own multi-line messages). */
export function escapeLines(text: string): string {
  return text.split('\n').map(escapeForTerminal).join('\n');
}

/** How deep `render` and `boundDepth` go before they show "…": a hostile payload can nest thousands deep. */
export const MAX_DEPTH = 8;
/** A rendered value longer than this is cut: one claim must not flood the screen. */
const MAX_RENDERED = 2000;

/**
 * A copy of an untrusted JSON value cut at `maxDepth` (deeper objects and arrays become "…"), so
 * that `JSON.stringify` of it can never overflow the stack (recursion stops at `maxDepth`).
 */
export function boundDepth(value: unknown, maxDepth = MAX_DEPTH): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (maxDepth <= 0) return '…';
  if (Array.isArray(value)) return value.map((item: unknown) => boundDepth(item, maxDepth - 1));
  // fromEntries defines own properties: a "__proto__" claim stays a claim, not a prototype.
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([name, item]) => [name, boundDepth(item, maxDepth - 1)]));
}

/** A claim or header value as one escaped line of JSON, depth- and length-bounded. */
export function renderValue(value: unknown): string {
  const text = JSON.stringify(boundDepth(value)) ?? String(value);
  const line = escapeForTerminal(text);
  return line.length > MAX_RENDERED ? `${line.slice(0, MAX_RENDERED)}… (${line.length} characters)` : line;
}

/** A claim or header name: plain names as they are, anything else JSON-quoted and escaped. */
export function renderName(name: string): string {
  return /^[A-Za-z0-9_.:$@-]{1,64}$/.test(name) ? name : renderValue(name);
}
