// Robustness: a raw attacker speaks Engine.IO/Socket.IO by hand (node:http + npm ws) and sends
// malformed, oversized and refused requests while real socket.io-client sockets receive a `tick`
// broadcast every 50 ms. Every attack must be refused with the right status (Engine.IO error
// codes: 0 Transport unknown, 1 Session ID unknown, 2 Bad handshake method, 3 Bad request,
// 4 Forbidden (403), 5 Unsupported protocol version) or close only its own connection; the
// receivers must get every tick in order and stay connected.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
    MAX_PAYLOAD, POLLING, TRANSPORTS, WAIT_MS, ack, client, closeClients, connected, eioPath, finalTransport,
    httpRequest, isReference, login, pollingHandshake, rawSocketIo, rawWebSocket, startServer, upgraded,
    waitUntil, withTimeout, wsUrl,
} from './harness.mjs';

const TICK_MS = 50;
const CLOSE_WAIT_MS = 3000;

describe('robustness: attacks while ticks are broadcast', { timeout: 120_000 }, () => {
    let server;
    let token;
    const receivers = [];
    const raws = new Set();
    let ticksStartedAt;

    /** Resolves once every receiver got a tick after this call (the broadcast still flows). */
    async function ticksStillFlowing(what) {
        const counts = receivers.map((r) => r.ticks.length);
        await Promise.all(receivers.map((r, i) => waitUntil(r.socket, 'tick', () => r.ticks.length > counts[i],
            { timeoutMs: 3000, what: `a tick on the ${r.name} receiver after ${what}` })));
        assert.ok(server.alive(), 'server process died');
        for (const r of receivers)
            assert.deepEqual(r.disconnects, [], `${r.name} receiver disconnected`);
    }

    async function raw(nsp) {
        const session = await rawSocketIo(server.url, nsp, token);
        raws.add(session.raw);
        return session;
    }

    /** Resolves { code, reason } once the server closed that raw WebSocket. */
    const expectClosed = (rawWs, what) =>
        withTimeout(rawWs.closed, CLOSE_WAIT_MS, `the server to close the connection after ${what}`);

    /** After an attack on a polling session: the sid must be gone (400 code 1) or the poll must carry a close packet. */
    async function expectSessionClosed(sid, what) {
        let r;
        try {
            r = await httpRequest(`${server.url}${eioPath(`EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`)}`, { timeoutMs: CLOSE_WAIT_MS });
        } catch (err) {
            throw new Error(`session ${sid} still open after ${what}: a poll got no answer (${err.message})`);
        }
        const closedByPacket = r.status === 200 && r.text.split('\x1e').includes('1');
        const unknown = r.status === 400 && r.json?.code === 1;
        assert.ok(closedByPacket || unknown,
            `session still usable after ${what}: poll answered HTTP ${r.status} ${JSON.stringify(r.text.slice(0, 200))}`);
    }

    before(async () => {
        server = await startServer();
        token = await login(server.url);
        for (const transport of [...TRANSPORTS, POLLING]) {
            const socket = client(server.url, '/test', { ...transport.opts, auth: { token } });
            const r = { name: transport.key, transport, socket, ticks: [], times: [], disconnects: [] };
            socket.on('tick', (n) => {
                r.ticks.push(n);
                r.times.push(Date.now());
            });
            socket.on('disconnect', (reason) => r.disconnects.push(reason));
            receivers.push(r);
        }
        await Promise.all(receivers.map((r) => connected(r.socket)));
        await Promise.all(receivers.filter((r) => r.transport.upgrade).map((r) => upgraded(r.socket)));
        for (const r of receivers)
            r.engineId = r.socket.io.engine.id;
        // The start goes out after every receiver joined, so all of them should see the same ticks.
        receivers[0].socket.emit('start-ticks', { intervalMs: TICK_MS });
        ticksStartedAt = Date.now();
        await ticksStillFlowing('start-ticks');
    });

    after(async () => {
        for (const r of raws)
            r.close();
        if (receivers[0]?.socket.connected)
            receivers[0].socket.emit('stop-ticks');
        closeClients();
        await server?.stop();
    });

    it('polling handshake advertises sid, upgrades [websocket], pingInterval 25000, pingTimeout 20000, maxPayload 1000000', async () => {
        const open = await pollingHandshake(server.url);
        assert.equal(typeof open.sid, 'string');
        assert.ok(open.sid.length > 0);
        assert.deepEqual(open.upgrades, ['websocket']);
        assert.equal(open.pingInterval, 25000);
        assert.equal(open.pingTimeout, 20000);
        assert.equal(open.maxPayload, MAX_PAYLOAD);
        // Close our session politely.
        const r = await httpRequest(`${server.url}${eioPath(`EIO=4&transport=polling&sid=${open.sid}`)}`,
            { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: '1' });
        assert.equal(r.status, 200);
        await ticksStillFlowing('the handshake');
    });

    const refused = [
        { name: 'GET with an unknown sid', method: 'GET', query: 'EIO=4&transport=polling&sid=nope-not-a-session', status: 400, code: 1, message: 'Session ID unknown' },
        { name: 'POST with an unknown sid', method: 'POST', query: 'EIO=4&transport=polling&sid=nope-not-a-session', body: '40', status: 400, code: 1, message: 'Session ID unknown' },
        { name: 'EIO=3', method: 'GET', query: 'EIO=3&transport=polling', status: 400, code: 5, message: 'Unsupported protocol version' },
        { name: 'EIO=5', method: 'GET', query: 'EIO=5&transport=polling', status: 400, code: 5, message: 'Unsupported protocol version' },
        { name: 'unknown transport', method: 'GET', query: 'EIO=4&transport=carrier-pigeon', status: 400, code: 0, message: 'Transport unknown' },
        { name: 'no transport', method: 'GET', query: 'EIO=4', status: 400, code: 0, message: 'Transport unknown' },
        { name: 'POST handshake (no sid)', method: 'POST', query: 'EIO=4&transport=polling', body: '40', status: 400, code: 2, message: 'Bad handshake method' },
        { name: 'transport=websocket without an Upgrade', method: 'GET', query: 'EIO=4&transport=websocket', status: 400, code: 3, message: 'Bad request' },
        { name: 'disallowed Origin on the polling handshake', method: 'GET', query: 'EIO=4&transport=polling', headers: { origin: 'http://evil.example' }, status: 403, code: 4, message: 'Forbidden' },
    ];
    for (const c of refused) {
        it(`${c.name} -> ${c.status} {"code":${c.code},"message":"${c.message}"}`, async () => {
            const headers = { ...(c.headers ?? {}) };
            if (c.body !== undefined)
                headers['content-type'] = 'text/plain;charset=UTF-8';
            const r = await httpRequest(`${server.url}${eioPath(c.query)}`, { method: c.method, headers, body: c.body });
            assert.equal(r.status, c.status, `HTTP ${r.status} ${JSON.stringify(r.text.slice(0, 200))}`);
            assert.deepEqual(r.json, { code: c.code, message: c.message }, `body ${JSON.stringify(r.text.slice(0, 200))}`);
            await ticksStillFlowing(c.name);
        });
    }

    it('same-origin Origin on the polling handshake is allowed (control)', async () => {
        const open = await pollingHandshake(server.url, { origin: server.url });
        assert.equal(typeof open.sid, 'string');
    });

    it('disallowed Origin on the WebSocket upgrade -> 403', async () => {
        const err = await rawWebSocket(wsUrl(server.url, 'EIO=4&transport=websocket'), { headers: { origin: 'http://evil.example' } })
            .then((r) => { r.close(); return null; }, (e) => e);
        assert.ok(err, 'upgrade was accepted');
        assert.equal(err.status, 403, err.message);
        await ticksStillFlowing('the foreign-origin upgrade');
    });

    it('WebSocket upgrade with an unknown sid -> 400', async () => {
        const err = await rawWebSocket(wsUrl(server.url, 'EIO=4&transport=websocket&sid=nope-not-a-session'))
            .then((r) => { r.close(); return null; }, (e) => e);
        assert.ok(err, 'upgrade was accepted');
        assert.equal(err.status, 400, err.message);
        await ticksStillFlowing('the unknown-sid upgrade');
    });

    it('junk polling POST body -> 400 and that session is closed', async () => {
        const { sid } = await pollingHandshake(server.url);
        const r = await httpRequest(`${server.url}${eioPath(`EIO=4&transport=polling&sid=${sid}`)}`,
            { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: 'xyz{not engine.io}' });
        // npm engine.io answers 200 "ok" and closes the session; Engine.IO/PROTOCOL.md want 400.
        const expected = isReference ? 200 : 400;
        assert.equal(r.status, expected, `HTTP ${r.status} ${JSON.stringify(r.text.slice(0, 200))}`);
        await expectSessionClosed(sid, 'the junk POST');
        await ticksStillFlowing('the junk POST');
    });

    it(`oversized polling POST (> maxPayload ${MAX_PAYLOAD}) -> 413 and that session is closed`, async () => {
        const { sid } = await pollingHandshake(server.url);
        const body = Buffer.from(`4${'a'.repeat(MAX_PAYLOAD + 1000)}`);
        // Sent like a browser does: Content-Length, then the body, reading the answer as it comes.
        const problems = [];
        const r = await httpRequest(`${server.url}${eioPath(`EIO=4&transport=polling&sid=${sid}`)}`, {
            method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', 'content-length': body.length }, body, timeoutMs: 10_000,
        }).catch((err) => {
            problems.push(`no HTTP answer reached the client (${err.cause?.code ?? err.message}) while it sent the ${body.length}-byte body`);
            return null;
        });
        if (r && r.status !== 413)
            problems.push(`answered HTTP ${r.status} ${JSON.stringify(r.text.slice(0, 200))}, expected 413`);
        await expectSessionClosed(sid, 'the oversized POST').catch((err) => problems.push(err.message));
        assert.deepEqual(problems, []);
        await ticksStillFlowing('the oversized POST');
    });

    it('oversized polling POST sent with Transfer-Encoding: chunked -> 413 and that session is closed', async () => {
        const { sid } = await pollingHandshake(server.url);
        const body = Buffer.from(`4${'c'.repeat(2 * MAX_PAYLOAD)}`);
        const problems = [];
        // No Content-Length: node:http sends the body chunked.
        const r = await httpRequest(`${server.url}${eioPath(`EIO=4&transport=polling&sid=${sid}`)}`, {
            method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body, timeoutMs: 5000,
        }).catch((err) => {
            problems.push(`no HTTP answer reached the client (${err.cause?.code ?? err.message})`);
            return null;
        });
        if (r && r.status !== 413)
            problems.push(`answered HTTP ${r.status} ${JSON.stringify(r.text.slice(0, 200))}, expected 413`);
        await expectSessionClosed(sid, 'the oversized chunked POST').catch((err) => problems.push(err.message));
        assert.deepEqual(problems, []);
        await ticksStillFlowing('the oversized chunked POST');
    });

    for (const [name, packet] of [
        ['unknown packet type "x"', 'x'],
        ['empty text frame', ''],
        ['unknown packet type "7"', '7'],
        ['non-numeric junk', '{"hello":"world"}'],
    ]) {
        it(`malformed Engine.IO packet over WebSocket (${name}) -> that connection is closed`, async () => {
            const { raw: r } = await raw(null);
            await r.send(packet);
            await expectClosed(r, `Engine.IO packet ${JSON.stringify(packet)}`);
            await ticksStillFlowing(`Engine.IO packet ${JSON.stringify(packet)}`);
        });
    }

    it(`WebSocket frame > maxPayload (${MAX_PAYLOAD} bytes) -> close code 1009`, async () => {
        const { raw: r } = await raw('/test');
        r.ws.send(`42/test,["echo","${'a'.repeat(MAX_PAYLOAD + 48_576)}"]`, () => {});
        const { code } = await expectClosed(r, 'the oversized frame');
        assert.equal(code, 1009);
        await ticksStillFlowing('the oversized frame');
    });

    it(`WebSocket frame of exactly maxPayload (${MAX_PAYLOAD} bytes) is accepted (control)`, async () => {
        const { raw: r } = await raw('/test');
        const head = '42/test,["emit-back","';
        const tail = '"]';
        const frame = head + 'b'.repeat(MAX_PAYLOAD - head.length - tail.length) + tail;
        assert.equal(Buffer.byteLength(frame), MAX_PAYLOAD);
        await r.send(frame);
        const back = await r.next((m) => !m.binary && m.data.startsWith('42/test,["echo-back"'), WAIT_MS, 'echo-back of the 1 MB frame');
        assert.equal(back.data.length, MAX_PAYLOAD - 'emit'.length + 'echo'.length);
        assert.ok(!r.isClosed());
        r.close();
        await ticksStillFlowing('the maxPayload-sized frame');
    });

    const malformedSocketIo = [
        ['event named "connect" (reserved) on the main namespace', '42["connect"]'],
        ['event named "disconnect" (reserved) on /test', '42/test,["disconnect"]'],
        ['event whose payload is an object, not an array', '42/test,{"a":1}'],
        ['unknown packet type 9', '49'],
        ['invalid JSON', '42/test,["echo",}'],
        ['CONNECT with invalid JSON', '40/test,{"token":'],
        ['event whose name is not a string', '42/test,[{"a":1},2]'],
    ];
    for (const [name, packet] of malformedSocketIo) {
        it(`malformed Socket.IO packet (${name}: ${packet}) -> that connection is closed`, async () => {
            const { raw: r } = await raw('/test');
            await r.send(packet);
            await expectClosed(r, `Socket.IO packet ${packet}`);
            await ticksStillFlowing(`Socket.IO packet ${packet}`);
        });
    }

    it('binary frame with no binary packet pending -> that connection is closed', async () => {
        const { raw: r } = await raw('/test');
        await r.send(Buffer.from([1, 2, 3, 4]));
        await expectClosed(r, 'a stray binary frame');
        await ticksStillFlowing('a stray binary frame');
    });

    it('binary placeholder index out of range -> that connection is closed', async () => {
        const { raw: r } = await raw('/test');
        await r.send('451-/test,["echo",{"_placeholder":true,"num":7}]');
        await r.send(Buffer.from([9, 9, 9]));
        await expectClosed(r, 'a placeholder with num 7 of 1 attachment');
        await ticksStillFlowing('a placeholder out of range');
    });

    it('a well-behaved raw client still works after all that (control)', async () => {
        const { raw: r } = await raw('/test');
        await r.send('42/test,["echo","raw",2]');
        // Event with ack id 7 on namespace /test: `42/test,7["echo",...]`.
        await r.send('42/test,7["echo","raw",3]');
        const reply = await r.next((m) => !m.binary && m.data.startsWith('43/test,7'), WAIT_MS, 'the ack 43/test,7[...]');
        assert.equal(reply.data, '43/test,7["raw",3]');
        r.close();
    });

    it('the tick receivers got every tick in order, with no gap, and stayed connected', async () => {
        const controller = receivers[0].socket;
        controller.emit('stop-ticks');
        // Once the controller's echo returns, the server has processed stop-ticks; an echo on each
        // other receiver then returns after every tick the server sent to it.
        await ack(controller, 'echo', 'sync');
        await Promise.all(receivers.map((r) => ack(r.socket, 'echo', 'sync')));
        const elapsed = Date.now() - ticksStartedAt;

        for (const r of receivers) {
            assert.deepEqual(r.disconnects, [], `${r.name} receiver disconnected`);
            assert.ok(r.socket.connected, `${r.name} receiver is not connected`);
            assert.equal(r.socket.io.engine.id, r.engineId, `${r.name} receiver changed Engine.IO session`);
            assert.equal(r.socket.io.engine.transport.name, finalTransport(r.transport));
            const firstGap = r.ticks.findIndex((n, i) => i > 0 && n !== r.ticks[i - 1] + 1);
            assert.equal(firstGap, -1,
                `${r.name}: tick ${r.ticks[firstGap - 1]} followed by ${r.ticks[firstGap]} (ticks ${JSON.stringify(r.ticks.slice(Math.max(0, firstGap - 3), firstGap + 3))})`);
            assert.ok(r.ticks.every((n) => Number.isInteger(n)), `${r.name}: non-integer tick`);
            let maxGapMs = 0;
            for (let i = 1; i < r.times.length; i++)
                maxGapMs = Math.max(maxGapMs, r.times[i] - r.times[i - 1]);
            assert.ok(maxGapMs < 2000, `${r.name}: ${maxGapMs} ms without a tick`);
            // Timers drift and polling batches; demand half of the nominal rate.
            assert.ok(r.ticks.length >= elapsed / TICK_MS / 2, `${r.name}: ${r.ticks.length} ticks in ${elapsed} ms`);
        }
        const reference = receivers[0].ticks;
        for (const r of receivers.slice(1))
            assert.deepEqual(r.ticks, reference, `${r.name} saw other ticks than ${receivers[0].name}`);
    });

    it('the server still answers GET /api/health', async () => {
        const r = await httpRequest(`${server.url}/api/health`);
        assert.equal(r.status, 200);
        assert.ok(r.json, `not JSON: ${r.text}`);
        assert.ok(server.alive());
    });
});
