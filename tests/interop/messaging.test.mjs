// Events both ways on /test: acks in both directions, emit-back, broadcast and binary payloads.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
    POLLING, TRANSPORTS, ack, assertSameData, client, closeClients, connected, finalTransport, login, startServer,
    upgraded, waitFor,
} from './harness.mjs';

const small = crypto.randomBytes(1024);
const large = crypto.randomBytes(100 * 1024);

const plainCases = [
    { name: 'one string', args: ['hello'] },
    { name: 'no arguments', args: [] },
    { name: 'several arguments of every JSON type', args: ['two', 2, 2.5, -7, true, false, null, { a: [1, { b: null }], c: 'd' }, [1, 'x', []]] },
    { name: 'unicode and escapes', args: ['héllo wörld ✓ 🚀 \u0000 \u2028 "quoted" \\ /slash\n\t', { 'ключ': '值' }] },
    { name: 'a 200 KB string', args: ['x'.repeat(200_000)] },
];

const binaryCases = [
    { name: '1 KiB Buffer as a top-level argument', args: () => [small] },
    { name: '100 KiB Buffer as a top-level argument', args: () => [large] },
    { name: '1 KiB Buffer nested in an object', args: () => [{ kind: 'blob', meta: { size: 1024, tags: ['a', 1, null] }, data: small }] },
    { name: '100 KiB Buffer nested in an object', args: () => [{ kind: 'blob', deep: { list: [0, { data: large }] } }] },
    { name: 'both Buffers mixed with text arguments', args: () => ['before', small, { inner: large, list: [small, 'x'] }, 42] },
];

for (const transport of [...TRANSPORTS, POLLING]) {
    describe(`/test events with ${transport.name}`, { timeout: 60_000 }, () => {
        let server;
        let token;
        let socket;
        let engineId;
        const disconnects = [];

        before(async () => {
            server = await startServer();
            token = await login(server.url);
            socket = client(server.url, '/test', { ...transport.opts, auth: { token } });
            await connected(socket);
            if (transport.upgrade)
                await upgraded(socket);
            engineId = socket.io.engine.id;
            socket.on('disconnect', (reason) => disconnects.push(reason));
        });
        after(async () => {
            closeClients();
            await server?.stop();
        });

        it(`runs over ${transport.upgrade ? 'websocket after the upgrade' : finalTransport(transport)}`, () => {
            assert.equal(socket.io.engine.transport.name, finalTransport(transport));
        });

        for (const c of plainCases) {
            it(`echo with ack: ${c.name}`, async () => {
                const reply = await ack(socket, 'echo', ...c.args);
                assertSameData(reply, c.args);
            });
            it(`emit-back -> echo-back: ${c.name}`, async () => {
                const back = waitFor(socket, 'echo-back');
                socket.emit('emit-back', ...c.args);
                assertSameData(await back, c.args);
            });
        }

        for (const c of binaryCases) {
            it(`echo with ack, binary: ${c.name}`, async () => {
                const args = c.args();
                const reply = await ack(socket, 'echo', ...args);
                assertSameData(reply, args);
            });
            it(`emit-back -> echo-back, binary: ${c.name}`, async () => {
                const args = c.args();
                const back = waitFor(socket, 'echo-back');
                socket.emit('emit-back', ...args);
                assertSameData(await back, args);
            });
        }

        it('ask -> question with a server->client ack -> answer carries the ack value', async () => {
            const payload = { q: 'meaning of life?', n: [1, 2, 3] };
            let question;
            socket.once('question', (p, callback) => {
                question = p;
                assert.equal(typeof callback, 'function', 'question must request an ack');
                callback({ reply: 42, echo: p });
            });
            const answer = waitFor(socket, 'answer');
            socket.emit('ask', payload);
            const [x] = await answer;
            assert.deepEqual(question, payload);
            assert.deepEqual(x, { reply: 42, echo: payload });
        });

        it('ask -> question -> answer with a binary ack value', async () => {
            socket.once('question', (p, callback) => callback({ blob: small }));
            const answer = waitFor(socket, 'answer');
            socket.emit('ask', 'binary please');
            const [x] = await answer;
            assertSameData(x, { blob: small });
        });

        it('many acks in flight come back matched to their calls', async () => {
            const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => ack(socket, 'echo', i, `n${i}`)));
            replies.forEach((r, i) => assert.deepEqual(r, [i, `n${i}`]));
        });

        it('broadcast reaches every socket in /test (a second client on its own connection too)', async () => {
            const other = client(server.url, '/test', { ...transport.opts, auth: { token } });
            await connected(other);
            const payload = { hello: 'everyone', blob: small };
            const mine = waitFor(socket, 'broadcasted');
            const theirs = waitFor(other, 'broadcasted');
            socket.emit('broadcast', payload);
            assertSameData(await mine, [payload]);
            assertSameData(await theirs, [payload]);
            other.disconnect();
        });

        it('stays connected on the same Engine.IO session throughout', () => {
            assert.deepEqual(disconnects, []);
            assert.ok(socket.connected);
            assert.equal(socket.io.engine.id, engineId);
            assert.equal(socket.io.engine.transport.name, finalTransport(transport));
        });
    });
}
