// The REST calls the suite relies on (PROTOCOL.md sections 2 and 4): health and login.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, JWT_SECRET, httpRequest, postJson, startServer } from './harness.mjs';

for (const kind of ['test', 'jarvisd']) {
    describe(`REST on ${kind === 'test' ? 'jarvis-test-server' : 'jarvisd'}`, { timeout: 30_000 }, () => {
        let server;

        before(async () => {
            server = await startServer({ kind });
        });
        after(async () => {
            await server?.stop();
        });

        it('GET /api/health -> 200 JSON with status', async () => {
            const r = await httpRequest(`${server.url}/api/health`);
            assert.equal(r.status, 200);
            assert.match(r.headers['content-type'] ?? '', /application\/json/);
            assert.ok(r.json, `body is not JSON: ${r.text}`);
            assert.ok(['ok', 'degraded'].includes(r.json.status), `status ${r.json.status}`);
        });

        it('POST /api/auth/login with the right password -> 200 {token, expiresIn: 86400}, an HS256 JWT', async () => {
            const r = await postJson(`${server.url}/api/auth/login`, { password: ADMIN_PASSWORD });
            assert.equal(r.status, 200, r.text);
            assert.match(r.headers['content-type'] ?? '', /application\/json/);
            assert.equal(typeof r.json.token, 'string');
            assert.equal(r.json.expiresIn, 86400);
            const [h, p, s] = r.json.token.split('.');
            assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url')).alg, 'HS256');
            const claims = JSON.parse(Buffer.from(p, 'base64url'));
            for (const claim of ['sub', 'iat', 'exp', 'jti'])
                assert.ok(claim in claims, `claim ${claim} missing: ${JSON.stringify(claims)}`);
            assert.equal(claims.exp - claims.iat, 86400);
            const expected = crypto.createHmac('sha256', Buffer.from(JWT_SECRET, 'utf8')).update(`${h}.${p}`).digest('base64url');
            assert.equal(s, expected, 'signed with HMAC-SHA256 over the UTF-8 bytes of JARVIS_JWT_SECRET');
        });

        it('POST /api/auth/login with username admin works too', async () => {
            const r = await postJson(`${server.url}/api/auth/login`, { username: 'admin', password: ADMIN_PASSWORD });
            assert.equal(r.status, 200, r.text);
        });

        it('5 wrong passwords -> 401 {"error":"invalid credentials"} each, then 429 {error, retryAfter}', async () => {
            for (let i = 0; i < 5; i++) {
                const r = await postJson(`${server.url}/api/auth/login`, { password: `wrong-${i}` });
                assert.equal(r.status, 401, `attempt ${i + 1}: ${r.text}`);
                assert.deepEqual(r.json, { error: 'invalid credentials' });
            }
            for (const password of ['wrong-again', ADMIN_PASSWORD]) {
                const r = await postJson(`${server.url}/api/auth/login`, { password });
                assert.equal(r.status, 429, r.text);
                assert.equal(r.json?.error, 'too many attempts');
                assert.ok(Number.isInteger(r.json.retryAfter) && r.json.retryAfter > 0 && r.json.retryAfter <= 60,
                    `retryAfter ${r.json.retryAfter}`);
            }
        });
    });
}
