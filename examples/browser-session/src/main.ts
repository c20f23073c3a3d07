import { createBrowserSessionApp } from './server.js';

// HOST / PORT (default 127.0.0.1:3000); ACCESS_TOKEN_LIFETIME (5m), REFRESH_REUSE_INTERVAL (2s),
// SESSION_SECRET (32+ random bytes, base64url; unset: a random one per start).
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);
const { app } = createBrowserSessionApp(process.env);
app.listen(port, host, () => console.log(`browser-session example on http://${host}:${port} (log in as demo / demo)`));
