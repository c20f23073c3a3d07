import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import { jwtGuard } from '@jwt-guard/express';
import { createSessions, sessionEndpoints, type LoginInput, type SessionEvent, type Sessions } from '@jwt-guard/session';
import { sessionRoutes } from '@jwt-guard/session/express';
import { ordersRoutes, type Order } from './orders.js';
import { settingsFromEnv, type Env } from './settings.js';

export const ISSUER = 'http://browser-session.example/';
export const AUDIENCE = 'browser-session-api';
const DEMO_USER: LoginInput = { subject: 'demo', scopes: ['orders:read', 'orders:write'] };
const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

export interface BrowserSessionAppOptions {
  /** Told about logins, refreshes, refusals and logouts (never tokens): the tests count refreshes with it. */
  onEvent?: (event: SessionEvent) => void;
  /** Where start-up notices go. Default: stderr. */
  warn?: (message: string) => void;
}

export interface BrowserSessionApp {
  app: Express;
  sessions: Sessions;
  /** The orders the API holds, in the order they were added. */
  orders: readonly Order[];
}

/** The demo's only user. A real app checks a password hash here. */
function authenticate(body: unknown): LoginInput | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { username, password } = body as { username?: unknown; password?: unknown };
  return username === 'demo' && password === 'demo' ? DEMO_USER : undefined;
}

/** The single-page app, its session endpoints under /auth and the cookie-guarded orders API under /api. */
export function createBrowserSessionApp(env: Env, options: BrowserSessionAppOptions = {}): BrowserSessionApp {
  const settings = settingsFromEnv(env);
  if (settings.secretIsRandom) {
    (options.warn ?? console.error)('SESSION_SECRET is not set: signing with a random secret made for this start (sessions end when it stops).');
  }
  const sessions = createSessions({
    issuer: ISSUER,
    audience: AUDIENCE,
    secret: settings.secret,
    accessTokenLifetime: settings.accessTokenLifetime,
    refreshReuseInterval: settings.refreshReuseInterval,
  });
  const orders: Order[] = [];
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    // The page runs only its own script: an injected one could not call the API in its name.
    res.setHeader('Content-Security-Policy', "default-src 'self'; frame-ancestors 'none'; form-action 'self'");
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use(express.static(PUBLIC_DIR));
  // POST /auth/login, /auth/refresh, /auth/logout: where the refresh cookie's default path points.
  // They check CSRF too (login included), and read the JSON body themselves, bounded.
  app.use('/auth', sessionRoutes(sessionEndpoints(sessions, { authenticate, ...(options.onEvent ? { onEvent: options.onEvent } : {}) })));
  // The access token comes from its HttpOnly cookie; the CSRF check is on by default for cookie tokens.
  app.use('/api', jwtGuard(sessions.guardOptions()), ordersRoutes(orders));
  return { app, sessions, orders };
}
