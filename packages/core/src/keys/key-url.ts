/**
 * The URLs keys are fetched from (`jwksUri`, the discovery issuer, a discovered `jwks_uri`): which
 * ones may be used, and how they are written into events and hints.
 */

/**
 * Why this key URL must not be used, or undefined when it may: https always; http only on the
 * loopback interface (127.0.0.0/8, ::1, localhost), where no network sits between us and the key
 * server, or when the operator opted in with `allowInsecureHttpKeys`.
 */
export function insecureKeyUrl(url: URL, allowInsecureHttp: boolean): string | undefined {
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:') return `it is a ${url.protocol} URL; keys are fetched over https only`;
  if (allowInsecureHttp || isLoopback(url.hostname)) return undefined;
  return 'it is a plain http: URL off the loopback interface: anyone on the network path could serve their own keys';
}

/** `localhost`, 127.0.0.0/8 and ::1, as the WHATWG URL parser writes them (it normalises `127.1`, `0x7f.0.0.1`…). */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * A key URL as it may appear in an event, a hint or a log line: user name and password dropped,
 * every query value (an API key, a signature) replaced by `redacted`, no fragment. Names of query
 * parameters stay, so the URL is still recognisable.
 */
export function redactUrl(url: URL | string): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : new URL(url.href);
  } catch {
    return '(an unparseable URL)';
  }
  if (parsed.username === '' && parsed.password === '' && parsed.search === '' && parsed.hash === '') {
    return typeof url === 'string' ? url : parsed.href;
  }
  parsed.username = '';
  parsed.password = '';
  parsed.hash = '';
  if (parsed.search !== '') {
    const names = [...new Set(parsed.searchParams.keys())];
    parsed.search = names.length === 0 ? '' : names.map((name) => `${encodeURIComponent(name)}=redacted`).join('&');
  }
  return parsed.href;
}

/** `text` (an error description) with every occurrence of the raw URL replaced by its redacted form. */
export function redactUrlIn(text: string, url: URL): string {
  const safe = redactUrl(url);
  if (safe === url.href) return text;
  let result = text.split(url.href).join(safe);
  if (url.search.length > 1) result = result.split(url.search).join('?redacted');
  if (url.password !== '') result = result.split(url.password).join('redacted');
  return result;
}
