// Engine.IO heartbeat with short intervals (JARVIS_PING_INTERVAL / JARVIS_PING_TIMEOUT): the
// server pings, socket.io-client pongs and stays connected; a peer that never pongs is dropped.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
    POLLING, TRANSPORTS, WAIT_MS, ack, client, closeClients, connected, eioPath, httpRequest, login,
    pollingHandshake, rawWebSocket, startServer, upgraded, waitUntil, withTimeout, wsUrl,
} from './harness.mjs';

const PING_INTERVAL = 300;
const PING_TIMEOUT = 300;
// The server must drop a silent peer within pingInterval + pingTimeout; allow generous slack.
const DROP_WITHIN_MS = PING_INTERVAL + PING_TIMEOUT + 1500;

describe(`heartbeat with pingInterval ${PING_INTERVAL} ms, pingTimeout ${PING_TIMEOUT} ms`, { timeout: 60_000 }, () => {
    let server;
    let token;

    before(async () => {
        server = await startServer({ env: { JARVIS_PING_INTERVAL: String(PING_INTERVAL), JARVIS_PING_TIMEOUT: String(PING_TIMEOUT) } });
        token = await login(server.url);
    });
    after(async () => {
        closeClients();
        await server?.stop();
    });

    it('the handshake advertises the configured pingInterval and pingTimeout', async () => {
        const open = await pollingHandshake(server.url);
        assert.equal(open.pingInterval, PING_INTERVAL);
        assert.equal(open.pingTimeout, PING_TIMEOUT);
    });

    for (const transport of [...TRANSPORTS, POLLING]) {
        it(`${transport.name}: the client answers pings and stays connected over several ping cycles`, async () => {
            const socket = client(server.url, '/test', { ...transport.opts, auth: { token } });
            let pings = 0;
            socket.io.on('ping', () => { pings += 1; });
            const disconnects = [];
            socket.on('disconnect', (reason) => disconnects.push(reason));
            await connected(socket);
            if (transport.upgrade)
                await upgraded(socket);
            const engineId = socket.io.engine.id;
            await waitUntil(socket.io, 'ping', () => pings >= 5, { timeoutMs: PING_INTERVAL * 5 + 3000, what: '5 pings from the server' });
            assert.deepEqual(disconnects, []);
            assert.equal(socket.io.engine.id, engineId);
            assert.deepEqual(await ack(socket, 'echo', 'alive'), ['alive']);
            socket.disconnect();
        });
    }

    it('a WebSocket peer that never answers pings is closed by the server', async () => {
        const raw = await rawWebSocket(wsUrl(server.url, 'EIO=4&transport=websocket'), { autoPong: false });
        const open = await raw.next((m) => !m.binary && m.data[0] === '0', WAIT_MS, 'the open packet');
        assert.ok(open);
        const t0 = Date.now();
        await raw.next((m) => m.data === '2', PING_INTERVAL + 1000, 'a ping');
        await withTimeout(raw.closed, DROP_WITHIN_MS, 'the server to drop the silent peer');
        assert.ok(Date.now() - t0 >= PING_TIMEOUT - 50, 'closed before pingTimeout expired');
    });

    it('a polling session that stops polling is dropped (its sid becomes unknown)', async () => {
        const { sid } = await pollingHandshake(server.url);
        // One poll gets the first ping; then silence.
        const first = await httpRequest(`${server.url}${eioPath(`EIO=4&transport=polling&sid=${sid}`)}`, { timeoutMs: PING_INTERVAL + 2000 });
        assert.equal(first.status, 200);
        assert.ok(first.text.split('\x1e').includes('2'), `expected a ping, got ${JSON.stringify(first.text)}`);
        await new Promise((resolve) => setTimeout(resolve, DROP_WITHIN_MS)); // nothing to await: the point is silence
        const later = await httpRequest(`${server.url}${eioPath(`EIO=4&transport=polling&sid=${sid}`)}`, { timeoutMs: WAIT_MS });
        assert.equal(later.status, 400, `HTTP ${later.status} ${JSON.stringify(later.text)}`);
        assert.deepEqual(later.json, { code: 1, message: 'Session ID unknown' });
    });
});
