/**
 * What the store uses of a node-redis v5 client: `createClient({ url })` from the `redis` package
 * (any modules, scripts, RESP 2 or 3) satisfies it. Declared here, structurally, so that the
 * published types need nothing from `redis` and stay free of its generic parameters.
 *
 * The store sends raw commands with the default type mapping (replies as strings), so a
 * `typeMapping` set on your client does not change what it reads.
 */
export interface RedisRevocationClient {
  /** True from `connect()` until `close()`/`destroy()`, also while reconnecting. */
  readonly isOpen: boolean;
  /** True while the connection is up and usable. */
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
  /** A new, unconnected client with the same options: the store's subscriber connection. */
  duplicate(): RedisRevocationClient;
  sendCommand(args: string[], options?: { typeMapping?: Record<never, never> }): Promise<unknown>;
  multi(): RedisRevocationMulti;
  subscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready' | 'end' | 'reconnecting', listener: () => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'ready' | 'end' | 'reconnecting', listener: () => void): unknown;
}

/** A `MULTI … EXEC` transaction of a {@link RedisRevocationClient}. */
export interface RedisRevocationMulti {
  addCommand(args: string[]): RedisRevocationMulti;
  exec(): Promise<unknown>;
}
