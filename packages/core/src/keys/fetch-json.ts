export interface FetchJsonOptions {
  timeoutMs: number;
  maxBytes: number;
}

export interface FetchedJson {
  body: unknown;
  /** The `Cache-Control` response header, if any. */
  cacheControl: string | null;
  status: number;
}

/** Thrown for an HTTP answer that is not 2xx; `status` lets discovery fall back on a 404. */
export class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/**
 * GET a JSON document with a timeout and a size limit. Redirects are refused: a key URL that
 * redirects elsewhere is a configuration to fix, not something to follow silently.
 */
export async function fetchJson(url: URL, options: FetchJsonOptions): Promise<FetchedJson> {
  const request = () =>
    fetch(url, {
      signal: AbortSignal.timeout(options.timeoutMs),
      headers: { accept: 'application/json, application/jwk-set+json' },
      redirect: 'error',
    });
  let response: Response;
  try {
    response = await request();
  } catch (error) {
    // A pooled keep-alive connection the server just closed (it restarted, say) fails at once;
    // one immediate retry on a fresh connection is not a retry storm.
    if (!isStaleConnection(error)) throw error;
    response = await request();
  }
  if (!response.ok) {
    // Release the keep-alive connection now rather than at garbage collection.
    await response.body?.cancel().catch(() => undefined);
    throw new HttpStatusError(response.status);
  }
  const text = await readLimited(response, options.maxBytes);
  try {
    return { body: JSON.parse(text) as unknown, cacheControl: response.headers.get('cache-control'), status: response.status };
  } catch {
    throw new Error('the response is not JSON');
  }
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  const tooLarge = () => new Error(`the response is larger than ${maxBytes} bytes`);
  if (!response.body) return '';
  if (Number(response.headers.get('content-length') ?? '0') > maxBytes) {
    await response.body.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `max-age` from a Cache-Control header, in seconds; 0 for no-store/no-cache; undefined if absent. */
export function cacheControlMaxAge(header: string | null): number | undefined {
  if (header === null) return undefined;
  if (/(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)/i.test(header)) return 0;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)/i.exec(header);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timeout: no answer within jwksTimeout';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code) return `${error.message} (${cause.code})`;
    return cause?.message ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

function isStaleConnection(error: unknown): boolean {
  const code = (error as { cause?: { code?: string } } | null)?.cause?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}
