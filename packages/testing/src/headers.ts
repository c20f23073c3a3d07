/**
 * The `Authorization` header for a bearer token, as an object: `request(app).get('/orders').set(bearer(token))`
 * (supertest), `fetch(url, { headers: bearer(token) })`, `app.inject({ headers: bearer(token) })` (Fastify).
 */
export function bearer(token: string): { authorization: string } {
  if (typeof token !== 'string' || token === '') throw new TypeError('bearer(token): the token must be a non-empty string (did you forget an await?).');
  return { authorization: `Bearer ${token}` };
}
