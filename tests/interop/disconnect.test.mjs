// Server-side namespace disconnect: only that namespace leaves, the shared engine stays.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
    TRANSPORTS, ack, client, closeClients, connected, login, startServer, track, upgraded, waitFor,
} from './harness.mjs';

for (const transport of TRANSPORTS) {
    describe(`server-side disconnect with ${transport.name}`, { timeout: 30_000 }, () => {
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

        it('disconnect-me -> "io server disconnect" on /test; /events on the same Manager stays connected', async () => {
            const test = client(server.url, '/test', { ...transport.opts, auth: { token } });
            const events = track(test.io.socket('/events', { auth: { token } }));
            await Promise.all([connected(test), connected(events)]);
            if (transport.upgrade)
                await upgraded(test);
            const engine = test.io.engine;
            const engineId = engine.id;
            const eventsId = events.id;
            const eventsDisconnects = [];
            events.on('disconnect', (reason) => eventsDisconnects.push(reason));
            let engineClosed = null;
            engine.on('close', (reason) => { engineClosed = reason; });

            const gone = waitFor(test, 'disconnect');
            test.emit('disconnect-me');
            const [reason] = await gone;
            assert.equal(reason, 'io server disconnect');
            assert.equal(test.connected, false);
            assert.equal(test.active, false, 'no automatic reconnection after a server disconnect');

            // The engine and the other namespace are untouched: prove it with a round trip on a
            // fresh /test socket over the same engine, then check /events again.
            test.connect();
            await connected(test);
            assert.deepEqual(await ack(test, 'echo', 'still here'), ['still here']);
            assert.equal(engineClosed, null, `Engine.IO connection closed: ${engineClosed}`);
            assert.equal(test.io.engine, engine);
            assert.equal(engine.id, engineId);
            assert.ok(events.connected, '/events must stay connected');
            assert.equal(events.id, eventsId);
            assert.deepEqual(eventsDisconnects, []);
            assert.equal(engine.transport.name, 'websocket');
        });

        it('a client-side disconnect of /test (DISCONNECT packet) leaves /events and the engine up', async () => {
            const test = client(server.url, '/test', { ...transport.opts, auth: { token } });
            const events = track(test.io.socket('/events', { auth: { token } }));
            await Promise.all([connected(test), connected(events)]);
            if (transport.upgrade)
                await upgraded(test);
            const engine = test.io.engine;
            const engineId = engine.id;
            const eventsDisconnects = [];
            events.on('disconnect', (reason) => eventsDisconnects.push(reason));
            test.disconnect();
            // A round trip on the same engine (CONNECT /cluster) before /test connects again: npm
            // socket.io handles DISCONNECT a tick late and would see the new CONNECT as a duplicate.
            const cluster = track(test.io.socket('/cluster', { auth: { token } }));
            await connected(cluster);
            test.connect();
            await connected(test);
            assert.deepEqual(await ack(test, 'echo', 'again'), ['again']);
            assert.equal(test.io.engine, engine);
            assert.equal(engine.id, engineId);
            assert.ok(events.connected);
            assert.deepEqual(eventsDisconnects, []);
        });

        it('disconnect-me on one of two /test clients leaves the other one connected', async () => {
            const a = client(server.url, '/test', { ...transport.opts, auth: { token } });
            const b = client(server.url, '/test', { ...transport.opts, auth: { token } });
            await Promise.all([connected(a), connected(b)]);
            const bDisconnects = [];
            b.on('disconnect', (reason) => bDisconnects.push(reason));
            const gone = waitFor(a, 'disconnect');
            a.emit('disconnect-me');
            assert.equal((await gone)[0], 'io server disconnect');
            assert.deepEqual(await ack(b, 'echo', 1), [1]);
            assert.deepEqual(bDisconnects, []);
        });
    });
}
