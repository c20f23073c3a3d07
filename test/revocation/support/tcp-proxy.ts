/**
 * A loopback TCP proxy in front of a real redis-server, to play a network partition:
 * - `forward()`: bytes flow both ways (the start);
 * - `silent()`: every connection stays open and nothing crosses it, either way; new connections are
 *   accepted but are silent too. Nothing is dropped: bytes wait in the kernel's socket buffers (the
 *   proxy stops reading), as they would on a link that went dark, and flow again on `forward()`;
 * - `reset()`: every current connection (both sides) is torn down with a TCP RST, as when TCP
 *   finally gives up on a dead link. The mode is kept: new connections after a reset in silence
 *   are silent too.
 */
import net from 'node:net';

export type ProxyMode = 'forward' | 'silent';

export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  readonly url: string;
  readonly mode: ProxyMode;
  /** When bytes from Redis were last passed on to a client (Date.now() ms); 0 if never. */
  readonly lastFromServerAt: number;
  /** When each connection was accepted (Date.now() ms), in order: tells when a client reconnected. */
  readonly acceptedAt: readonly number[];
  forward(): void;
  silent(): void;
  /** Resets every current connection (RST on both sides); returns how many pairs it reset. */
  reset(): number;
  /** Resets the connection accepted `index`-th (0 first), both sides; false if it is gone already. */
  resetConnection(index: number): boolean;
  /**
   * While on, connections accepted are silent however the mode is, until `forward()`: a link on
   * which a reconnect gets through but its handshake never does. Existing ones are untouched.
   */
  silenceNewConnections(on: boolean): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const host = target.host ?? '127.0.0.1';
  let mode: ProxyMode = 'forward';
  let lastFromServerAt = 0;
  const acceptedAt: number[] = [];
  /** Every socket of every open pair: the client's and the proxy's own to Redis. */
  const sockets = new Set<net.Socket>();
  /** Each accepted pair, by when it was accepted. */
  const pairs: net.Socket[][] = [];
  let silenceNew = false;

  /** Reads from `from` and writes into `to`, unless silent (then `from` is paused: not read). */
  function relay(from: net.Socket, to: net.Socket, fromServer: boolean): void {
    from.on('data', (chunk: Buffer) => {
      if (fromServer) lastFromServerAt = Date.now();
      to.write(chunk);
    });
    if (mode === 'silent' || silenceNew) from.pause();
  }

  const server = net.createServer((downstream) => {
    acceptedAt.push(Date.now());
    const upstream = net.connect({ host, port: target.port });
    const pair = [downstream, upstream];
    pairs.push(pair);
    for (const socket of pair) {
      sockets.add(socket);
      socket.on('error', () => undefined); // resets and refusals are the point here
      // One side gone: the other goes too (a reset is passed on as a reset by `reset()` itself).
      socket.once('close', () => {
        sockets.delete(socket);
        for (const other of pair) if (other !== socket) other.destroy();
      });
    }
    relay(downstream, upstream, false);
    relay(upstream, downstream, true);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('tcp proxy: no address');
  const { port } = address;

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get mode() {
      return mode;
    },
    get lastFromServerAt() {
      return lastFromServerAt;
    },
    acceptedAt,
    forward() {
      mode = 'forward';
      for (const socket of sockets) socket.resume();
    },
    silent() {
      mode = 'silent';
      for (const socket of sockets) socket.pause();
    },
    resetConnection(index) {
      const pair = pairs[index];
      if (pair === undefined || pair.every((socket) => socket.destroyed)) return false;
      for (const socket of pair) {
        sockets.delete(socket);
        if (!socket.destroyed) socket.resetAndDestroy();
      }
      return true;
    },
    silenceNewConnections(on) {
      silenceNew = on;
    },
    reset() {
      const count = sockets.size / 2;
      for (const socket of [...sockets]) {
        sockets.delete(socket);
        if (!socket.destroyed) socket.resetAndDestroy();
      }
      return count;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
