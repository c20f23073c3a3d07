import { createApp } from './app.js';

// Configuration comes from the environment, as in production:
//   JWT_ISSUER, JWT_AUDIENCE and either JWKS_URI (your identity provider) or JWT_SECRET (HS256).
// A missing or weak value stops the server at start-up with a message that says what to set.
const env = process.env;
const options = {
  issuer: env.JWT_ISSUER,
  audience: env.JWT_AUDIENCE,
  ...(env.JWKS_URI ? { jwksUri: env.JWKS_URI } : { secret: env.JWT_SECRET }),
};
const port = Number(env.PORT ?? 3000);
createApp(options).listen(port, () => console.log(`orders API (Koa) on http://localhost:${port}`));
