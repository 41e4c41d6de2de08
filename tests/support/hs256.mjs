// HS256 JWTs for the Node reference servers (tests/interop/reference-server.mjs and
// tests/bench/reference-server.mjs): the same checks jarvisd makes (PROTOCOL.md auth).
import crypto from 'node:crypto';

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const sign = (key, input) => crypto.createHmac('sha256', key).update(input).digest();

/** A token for `sub`, valid for `lifetime` seconds, signed with `key` (a Buffer). */
export function issueToken(key, sub, lifetime) {
    const iat = Math.floor(Date.now() / 1000);
    const claims = { sub, iat, exp: iat + lifetime, jti: crypto.randomUUID() };
    const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
    return `${input}.${sign(key, input).toString('base64url')}`;
}

/** null when the token is a valid, unexpired HS256 JWT with a subject, else the reason:
 *  'missing' | 'invalid' | 'expired'. Compares signatures in constant time. */
export function tokenProblem(key, token) {
    if (token === undefined || token === null || token === '')
        return 'missing';
    if (typeof token !== 'string')
        return 'invalid';
    const parts = token.split('.');
    if (parts.length !== 3)
        return 'invalid';
    try {
        const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
        if (header?.alg !== 'HS256')
            return 'invalid';
        const expected = sign(key, `${parts[0]}.${parts[1]}`);
        const given = Buffer.from(parts[2], 'base64url');
        if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected))
            return 'invalid';
        const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
        if (typeof claims?.exp !== 'number' || typeof claims.sub !== 'string')
            return 'invalid';
        return claims.exp <= Date.now() / 1000 ? 'expired' : null;
    } catch {
        return 'invalid';
    }
}
