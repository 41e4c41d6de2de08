// Namespace connection and JWT auth over the real socket.io-client (PROTOCOL.md section 2).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import {
    JWT_SECRET, TRANSPORTS, client, closeClients, connectError, connected, forgeToken, isReference, login,
    startServer, track, upgraded,
} from './harness.mjs';

const PROTECTED = ['/cluster', '/events', '/terminal'];

for (const transport of TRANSPORTS) {
    describe(`connect with ${transport.name}`, { timeout: 60_000 }, () => {
        let server;
        let token;

        before(async () => {
            server = await startServer();
            token = await login(server.url);
        });
        after(async () => {
            closeClients();
            await server?.stop();
        });

        for (const nsp of ['/cluster', '/events']) {
            it(`connects to ${nsp} with a valid token`, async () => {
                const socket = client(server.url, nsp, { ...transport.opts, auth: { token } });
                await connected(socket);
                assert.equal(typeof socket.id, 'string');
                assert.ok(socket.id.length > 0);
                if (transport.upgrade)
                    await upgraded(socket);
                else
                    assert.equal(socket.io.engine.transport.name, 'websocket');
                socket.disconnect();
            });
        }

        it('connects /cluster and /events over one Manager (one Engine.IO connection), io() default multiplexing', async () => {
            // No forceNew: io() caches the Manager per URL, so both sockets share one engine.
            // Each describe block has its own server (own port), so no other test shares this cache entry.
            const cluster = track(io(`${server.url}/cluster`, { ...transport.opts, reconnection: false, auth: { token } }));
            const events = track(io(`${server.url}/events`, { ...transport.opts, reconnection: false, auth: { token } }));
            assert.equal(cluster.io, events.io, 'io() must reuse the Manager for the same URL');
            await Promise.all([connected(cluster), connected(events)]);
            if (transport.upgrade)
                await upgraded(cluster);
            assert.equal(cluster.io.engine, events.io.engine);
            assert.equal(cluster.io.engine.transport.name, 'websocket');
            assert.ok(cluster.connected && events.connected);
            assert.notEqual(cluster.id, events.id, 'each namespace gets its own socket id');
            cluster.disconnect();
            events.disconnect();
        });

        it('accepts a token forged with the shared secret (HS256, sub/iat/exp/jti)', async () => {
            const socket = client(server.url, '/cluster', { ...transport.opts, auth: { token: forgeToken() } });
            await connected(socket);
            socket.disconnect();
        });

        const failures = [
            { name: 'no auth payload', reason: 'missing', opts: {} },
            { name: 'auth without token', reason: 'missing', opts: { auth: {} } },
            { name: 'token with a bad signature', reason: 'invalid', opts: { auth: { token: () => forgeToken({ secret: `${JWT_SECRET}x` }) } } },
            { name: 'garbage token', reason: 'invalid', opts: { auth: { token: 'not-a-jwt' } } },
            { name: 'alg:none token', reason: 'invalid', opts: { auth: { token: () => forgeToken({ alg: 'none' }) } } },
            { name: 'HS512 token signed with the right secret', reason: 'invalid', opts: { auth: { token: () => forgeToken({ alg: 'HS512' }) } } },
            {
                name: 'token whose claims were altered after signing', reason: 'invalid',
                opts: { auth: { token: () => { const [h, , s] = forgeToken().split('.'); return `${h}.${Buffer.from(JSON.stringify({ sub: 'root', iat: 1, exp: 4102444800, jti: 'x' })).toString('base64url')}.${s}`; } } },
            },
            { name: 'expired token (right signature)', reason: 'expired', opts: { auth: { token: () => forgeToken({ now: Math.floor(Date.now() / 1000) - 7200, lifetime: 3600 }) } } },
        ];

        for (const nsp of PROTECTED) {
            for (const f of failures) {
                it(`${nsp}: ${f.name} -> connect_error "unauthorized" {reason: "${f.reason}"}`, async () => {
                    const opts = { ...transport.opts };
                    if (f.opts.auth)
                        opts.auth = Object.fromEntries(Object.entries(f.opts.auth).map(([k, v]) => [k, typeof v === 'function' ? v() : v]));
                    const socket = client(server.url, nsp, opts);
                    const err = await connectError(socket);
                    assert.equal(err.message, 'unauthorized');
                    assert.deepEqual(err.data, { reason: f.reason });
                    assert.equal(socket.connected, false);
                    socket.disconnect();
                });
            }
        }

        it('unknown namespace /nope -> connect_error "Invalid namespace"', async () => {
            const socket = client(server.url, '/nope', { ...transport.opts, auth: { token } });
            const err = await connectError(socket);
            assert.equal(err.message, 'Invalid namespace');
            assert.equal(err.data, undefined);
            socket.disconnect();
        });

        it('a refused namespace leaves the shared Engine.IO connection usable', async () => {
            const good = client(server.url, '/cluster', { ...transport.opts, auth: { token } });
            await connected(good);
            const bad = track(good.io.socket('/events', { auth: { token: 'garbage' } }));
            const nope = track(good.io.socket('/nope', { auth: { token } }));
            const [badErr, nopeErr] = await Promise.all([connectError(bad), connectError(nope)]);
            assert.equal(badErr.message, 'unauthorized');
            assert.equal(nopeErr.message, 'Invalid namespace');
            // Retry the refused namespace on the same engine with a good token.
            bad.auth = { token };
            bad.connect();
            await connected(bad);
            assert.ok(good.connected, '/cluster must stay connected');
            good.disconnect();
        });
    });
}

// The same contract on jarvisd itself (the binary users run), in brief.
for (const transport of TRANSPORTS) {
    describe(`jarvisd namespaces with ${transport.name}`, { timeout: 60_000 }, () => {
        let server;
        let token;

        before(async () => {
            server = await startServer({ kind: 'jarvisd' });
            token = await login(server.url);
        });
        after(async () => {
            closeClients();
            await server?.stop();
        });

        it('/cluster and /events connect over one Manager with a valid token', async () => {
            const cluster = client(server.url, '/cluster', { ...transport.opts, auth: { token } });
            const events = track(cluster.io.socket('/events', { auth: { token } }));
            await Promise.all([connected(cluster), connected(events)]);
            if (transport.upgrade)
                await upgraded(cluster);
            assert.equal(cluster.io.engine.transport.name, 'websocket');
            cluster.disconnect();
            events.disconnect();
        });

        for (const [name, auth, reason] of [
            ['no auth', undefined, 'missing'],
            ['garbage token', { token: 'garbage' }, 'invalid'],
            ['alg:none token', { token: forgeToken({ alg: 'none' }) }, 'invalid'],
            ['expired token', { token: forgeToken({ now: Math.floor(Date.now() / 1000) - 7200, lifetime: 3600 }) }, 'expired'],
        ]) {
            for (const nsp of PROTECTED) {
                it(`${nsp}: ${name} -> unauthorized ${reason}`, async () => {
                    const socket = client(server.url, nsp, { ...transport.opts, ...(auth ? { auth } : {}) });
                    const err = await connectError(socket);
                    assert.equal(err.message, 'unauthorized');
                    assert.deepEqual(err.data, { reason });
                    socket.disconnect();
                });
            }
        }

        it('/nope and /test -> Invalid namespace (jarvisd has no /test)', { skip: isReference && 'the reference serves /test always' }, async () => {
            for (const nsp of ['/nope', '/test']) {
                const socket = client(server.url, nsp, { ...transport.opts, auth: { token } });
                const err = await connectError(socket);
                assert.equal(err.message, 'Invalid namespace', nsp);
                socket.disconnect();
            }
        });
    });
}
