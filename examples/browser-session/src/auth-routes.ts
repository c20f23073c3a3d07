// TEMPORARY: stands in for `sessionRoutes(sessionEndpoints(...))` from @jwt-guard/session/express,
// which is being built on branch wt-handlers; replaced by it as soon as it lands (that one also
// checks CSRF on the three endpoints and bounds the body).
import express, { type Response, type Router } from 'express';
import { readCookie } from '@jwt-guard/core';
import { isSessionError, type IssuedTokens, type Sessions } from '@jwt-guard/session';

export interface DemoUser {
  subject: string;
  scopes: string[];
}

export interface SessionEventLike {
  type: 'login' | 'login_failed' | 'refreshed' | 'refresh_refused' | 'logout';
  code?: string;
}

const REFRESH_COOKIE = '__Secure-refresh_token';

export function authRoutes(
  sessions: Sessions,
  authenticate: (body: unknown) => DemoUser | undefined,
  onEvent: (event: SessionEventLike) => void,
): Router {
  const router = express.Router();
  router.use(express.json({ limit: '4kb' }));
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  const issued = (res: Response, tokens: IssuedTokens, user: DemoUser) => {
    res.setHeader('Set-Cookie', tokens.setCookies).json({
      subject: user.subject,
      scopes: user.scopes,
      expiresAt: tokens.expiresAt.toISOString(),
      refreshExpiresAt: tokens.refreshExpiresAt.toISOString(),
    });
  };
  router.post('/login', async (req, res) => {
    const user = authenticate(req.body);
    if (user === undefined) {
      onEvent({ type: 'login_failed' });
      res.status(401).json({ error: 'invalid_credentials' });
      return;
    }
    onEvent({ type: 'login' });
    issued(res, await sessions.login(user), user);
  });
  router.post('/refresh', async (req, res) => {
    try {
      const tokens = await sessions.refresh(readCookie(req.headers.cookie, REFRESH_COOKIE));
      onEvent({ type: 'refreshed' });
      issued(res, tokens, { subject: 'demo', scopes: ['orders:read', 'orders:write'] });
    } catch (error) {
      if (!isSessionError(error)) throw error;
      onEvent({ type: 'refresh_refused', code: error.code });
      const clear = error.status === 401 ? (await sessions.logout(undefined)).setCookies : [];
      res.status(error.status).setHeader('Set-Cookie', clear).json({ error: error.code });
    }
  });
  router.post('/logout', async (req, res) => {
    const { setCookies } = await sessions.logout(readCookie(req.headers.cookie, REFRESH_COOKIE));
    onEvent({ type: 'logout' });
    res.setHeader('Set-Cookie', setCookies).status(204).end();
  });
  return router;
}
