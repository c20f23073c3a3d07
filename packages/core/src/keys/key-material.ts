import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';

/** PEM armour: a BEGIN line and the END line of the same label, with anything between (even a literal `\n`). */
const PEM_ARMOUR = /-----BEGIN ([A-Z0-9 ]{1,64})-----[\s\S]*?-----END \1-----/;
const BASE64_TEXT = /^[A-Za-z0-9+/_-]+={0,2}$/;
const HEX_TEXT = /^(?:[0-9a-fA-F]{2})+$/;
/** `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5…`: the type, then the base64 blob that starts by repeating it. */
const OPENSSH_PUBLIC_KEY = /^(ssh-rsa|ssh-ed25519|ssh-dss|ecdsa-sha2-nistp(?:256|384|521)) AAAA[A-Za-z0-9+/]+=*(?:\s|$)/;

/**
 * What key material these would-be HMAC secret bytes are, or undefined for anything else. HMAC with
 * a *public* key is the classic key confusion: anyone holding the public key can sign tokens that
 * would verify. Every answer comes from parsing, never from a loose substring: a PEM block (public
 * key, certificate, private key), a JWK or JWK Set as JSON text, SPKI / PKCS#1 / PKCS#8 / X.509 DER
 * bytes, or base64 or hex text of such DER (the "public key" field of some identity providers'
 * consoles). Random bytes, and base64, base64url or hex text of random bytes, parse as none of these.
 * The only inputs it cannot recognise are raw key bytes with no structure (a bare Ed25519 point).
 */
export function keyMaterialKind(bytes: Uint8Array): string | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1').trim();
  if (text.includes('-----BEGIN ')) {
    const pem = pemKind(text);
    if (pem !== undefined) return pem;
  }
  const ssh = OPENSSH_PUBLIC_KEY.exec(text);
  if (ssh !== null) return `an OpenSSH public key (${ssh[1]!})`;
  if (text.startsWith('{') && text.endsWith('}')) {
    const jwk = jwkKind(text);
    if (jwk !== undefined) return jwk;
  }
  const der = derKind(bytes);
  if (der !== undefined) return der;
  const compact = text.replace(/\s+/g, '');
  if (HEX_TEXT.test(compact)) {
    const fromHex = derKind(Buffer.from(compact, 'hex'));
    if (fromHex !== undefined) return `hex text of ${fromHex}`;
  }
  if (BASE64_TEXT.test(compact)) {
    // Node's base64 decoder reads the base64url alphabet too.
    const fromBase64 = derKind(Buffer.from(compact, 'base64'));
    if (fromBase64 !== undefined) return `base64 text of ${fromBase64}`;
  }
  return undefined;
}

function pemKind(text: string): string | undefined {
  try {
    const key = createPublicKey(text);
    const label = /-----BEGIN ([A-Z0-9 ]{1,64})-----/.exec(text)?.[1] ?? 'PEM';
    return `a PEM ${label.includes('CERTIFICATE') ? 'certificate' : label.includes('PRIVATE') ? 'private key' : 'public key'} (${describeKey(key)})`;
  } catch {
    // Not readable as is (encrypted, escaped line breaks, another PEM type): armour alone says enough.
  }
  const armour = PEM_ARMOUR.exec(text);
  return armour === null ? undefined : `a PEM block ("BEGIN ${armour[1]!}")`;
}

function jwkKind(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { kty, keys } = value as { kty?: unknown; keys?: unknown };
  if (typeof kty === 'string') return `the JSON text of a JWK (kty "${kty.replace(/[^\x20-\x7e]/g, '?').slice(0, 8)}")`;
  if (Array.isArray(keys)) return 'the JSON text of a JWK Set';
  return undefined;
}

/** DER structures start with a SEQUENCE (0x30); anything else is not tried. */
function derKind(bytes: Uint8Array): string | undefined {
  if (bytes.byteLength < 16 || bytes[0] !== 0x30) return undefined;
  const der = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      return `${type === 'spki' ? 'SPKI' : 'PKCS#1'} DER of a public key (${describeKey(createPublicKey({ key: der, format: 'der', type }))})`;
    } catch {
      // not this structure
    }
  }
  try {
    return `a DER certificate (${describeKey(new X509Certificate(der).publicKey)})`;
  } catch {
    // not a certificate
  }
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return `DER of a private key (${describeKey(createPrivateKey({ key: der, format: 'der', type }))})`;
    } catch {
      // not this structure
    }
  }
  return undefined;
}

function describeKey(key: KeyObject): string {
  return `${(key.asymmetricKeyType ?? 'unknown').toUpperCase()}`;
}
