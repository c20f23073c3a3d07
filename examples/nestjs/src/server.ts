import { createApp, type Platform } from './app.js';

// Configuration comes from the environment, as in production:
//   JWT_ISSUER, JWT_AUDIENCE and either JWKS_URI (your identity provider) or JWT_SECRET (HS256);
//   NEST_PLATFORM=fastify for @nestjs/platform-fastify (default: express).
// A missing or weak value stops the server at start-up with a message that says what to set.
const env = process.env;
const options = {
  issuer: env.JWT_ISSUER,
  audience: env.JWT_AUDIENCE,
  ...(env.JWKS_URI ? { jwksUri: env.JWKS_URI } : { secret: env.JWT_SECRET }),
};
const platform: Platform = env.NEST_PLATFORM === 'fastify' ? 'fastify' : 'express';
const port = Number(env.PORT ?? 3000);
const app = await createApp(options, platform);
await app.listen(port);
console.log(`orders API (NestJS on ${platform}) on http://localhost:${port}`);
