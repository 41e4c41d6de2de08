// Automatic reconnection after the server restarts on the same port; auth is sent again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
    TRANSPORTS, ack, client, closeClients, connected, login, startServer, upgraded, waitFor,
} from './harness.mjs';

for (const transport of TRANSPORTS) {
    describe(`reconnect after a server restart with ${transport.name}`, { timeout: 60_000 }, () => {
        let server;

        before(async () => {
            server = await startServer();
        });
        after(async () => {
            closeClients();
            await server?.stop();
        });

        it('client sees "transport close", reconnects by itself, re-sends auth, and echo works again', async () => {
            const token = await login(server.url);
            let authCalls = 0;
            const socket = client(server.url, '/test', {
                ...transport.opts,
                reconnection: true,
                reconnectionDelay: 100,
                reconnectionDelayMax: 300,
                randomizationFactor: 0,
                // A function is called for every CONNECT packet, so we can see the auth going out again.
                auth: (cb) => {
                    authCalls += 1;
                    cb({ token });
                },
            });
            await connected(socket);
            if (transport.upgrade)
                await upgraded(socket);
            assert.deepEqual(await ack(socket, 'echo', 'before'), ['before']);
            const firstId = socket.id;
            assert.equal(authCalls, 1);

            const disconnected = waitFor(socket, 'disconnect', { timeoutMs: 10_000 });
            const reconnected = waitFor(socket, 'connect', { timeoutMs: 30_000 });
            const oldPort = server.port;
            server = await server.restart();
            assert.equal(server.port, oldPort);

            const [reason] = await disconnected;
            assert.equal(reason, 'transport close');
            await reconnected;
            assert.ok(socket.connected);
            assert.notEqual(socket.id, firstId, 'a new session gets a new socket id');
            assert.ok(authCalls >= 2, `auth must be sent again on reconnect (auth callback called ${authCalls} times)`);
            if (transport.upgrade)
                await upgraded(socket);
            assert.equal(socket.io.engine.transport.name, 'websocket');
            assert.deepEqual(await ack(socket, 'echo', 'after', { n: 1 }), ['after', { n: 1 }]);
            socket.disconnect();
        });
    });
}
