// The servers of the browser tests: each on 127.0.0.1, on a port of its own.
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';

export interface Site {
  origin: string;
  server: Server;
}

export async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** What the attacker's credentialed fetch sends: a body no CORS preflight is needed for. */
export interface ForgedFetch {
  contentType: 'text/plain' | 'application/x-www-form-urlencoded';
  body: string;
}

/**
 * A page of another origin, aimed at `target` (an app's origin): `/form` submits a form POST of
 * `item=forged-by-form` to `target/api/orders` at once; `/fetch` defines `attack()`, a credentialed
 * `no-cors` fetch POST of `forged`. `localhost` is another site than `127.0.0.1` (the browser sends
 * `Sec-Fetch-Site: cross-site`); `127.0.0.1` on another port is the same site, another origin
 * (`same-site`).
 */
export async function attackerSite(host: 'localhost' | '127.0.0.1', target: string, forged: ForgedFetch): Promise<Site> {
  const { server, port } = await listen((req, res) => {
    res.setHeader('content-type', 'text/html');
    if (req.url === '/form') {
      res.end(`<!doctype html><form id="f" method="POST" action="${target}/api/orders"><input name="item" value="forged-by-form"></form><script>document.getElementById('f').submit()</script>`);
    } else {
      const init = { method: 'POST', credentials: 'include', mode: 'no-cors', headers: { 'content-type': forged.contentType }, body: forged.body };
      res.end(`<!doctype html><script>window.attack = () => fetch(${JSON.stringify(`${target}/api/orders`)}, ${JSON.stringify(init)}).then(() => 'sent', (e) => String(e));</script>`);
    }
  });
  return { origin: `http://${host}:${port}`, server };
}
