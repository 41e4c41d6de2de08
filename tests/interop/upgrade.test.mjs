// Traffic in both directions while socket.io-client upgrades from polling to websocket: nothing
// may be lost, duplicated or reordered across the switch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
    ack, client, closeClients, connected, login, startServer, upgraded, waitUntil,
} from './harness.mjs';

describe('traffic during the polling -> websocket upgrade', { timeout: 60_000 }, () => {
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

    it('client -> server: acks emitted before, during and after the upgrade all return, in order', async () => {
        // Emit from the moment the socket exists (buffered until CONNECT, then over polling), through
        // the upgrade, until 20 more went out over websocket.
        const socket = client(server.url, '/test', { auth: { token } });
        const order = [];
        const calls = [];
        let overPolling = 0;
        let afterUpgrade = -1;
        const isConnected = connected(socket);
        const done = isConnected.then(() => upgraded(socket)).then(() => { afterUpgrade = 0; });
        for (let i = 0; afterUpgrade < 20 && i < 5000; i++) {
            if (socket.io.engine?.transport?.name === 'polling')
                overPolling += 1;
            calls.push(ack(socket, 'echo', i).then(([n]) => order.push(n)));
            if (afterUpgrade >= 0)
                afterUpgrade += 1;
            await new Promise((resolve) => setImmediate(resolve)); // let the transports run between emits
        }
        await done;
        await Promise.all(calls);
        assert.equal(socket.io.engine.transport.name, 'websocket');
        assert.ok(overPolling > 0, 'nothing was emitted before the upgrade');
        assert.equal(order.length, calls.length);
        assert.deepEqual(order, order.map((_, i) => i), 'acks came back out of order');
        socket.disconnect();
    });

    it('server -> client: a 10 ms tick broadcast arrives without gaps or duplicates across the upgrade', async () => {
        const controller = client(server.url, '/test', { transports: ['websocket'], auth: { token } });
        await connected(controller);
        controller.emit('start-ticks', { intervalMs: 10 });
        try {
            const socket = client(server.url, '/test', { auth: { token } });
            const ticks = [];
            socket.on('tick', (n) => ticks.push(n));
            await connected(socket);
            await upgraded(socket);
            const atUpgrade = ticks.length;
            await waitUntil(socket, 'tick', () => ticks.length >= atUpgrade + 20, { what: '20 ticks after the upgrade' });
            assert.ok(ticks.length > 0);
            const firstGap = ticks.findIndex((n, i) => i > 0 && n !== ticks[i - 1] + 1);
            assert.equal(firstGap, -1, `tick ${ticks[firstGap - 1]} followed by ${ticks[firstGap]} (${atUpgrade} ticks before the upgrade)`);
            socket.disconnect();
        } finally {
            controller.emit('stop-ticks');
            await ack(controller, 'echo', 'sync');
            controller.disconnect();
        }
    });
});
