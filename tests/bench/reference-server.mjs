#!/usr/bin/env node
// The fan-out benchmark's reference: jarvis-bench-server (tests/bench/benchserver.cpp) on npm
// socket.io@4.8.4. Same JWT check on /cluster, same /bench control namespace, same payload file.
//
//   node reference-server.mjs --payload FILE [--port N] [--deflate]
//   env: JARVIS_JWT_SECRET (default: the same fixed bench secret as jarvis-bench-server)
//
// /bench `run {count, rateHz}` (with ack) broadcasts the payload `count` times on /cluster as
// `vms`, broadcast k at start + k / rateHz, emitting `sent {k, t, callUs}` to the control socket
// after each one, then acks {count}. t is process.hrtime.bigint() (libuv's uv_hrtime,
// CLOCK_MONOTONIC on Linux) in microseconds, taken right before the emit.
//
// --deflate turns on perMessageDeflate with threshold 1024 (what engine.io's `perMessageDeflate:
// true` means; socket.io 4 leaves it off by default) and server_no_context_takeover, the mode
// jarvisd uses. Without it, ws (8.23) ignores the threshold and compresses every message, pings
// included, against a per-connection context, which the load generator could only follow by
// inflating every payload. Either way ws deflates each broadcast once per connection.

import fs from 'node:fs';
import http from 'node:http';
import { Server } from 'socket.io';
import { tokenProblem } from '../support/hs256.mjs';

const DEFAULT_SECRET = 'jarvis-bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

function fail(message) {
    process.stderr.write(`reference-server: ${message}\n`);
    process.exit(2);
}

const opts = { port: 0, payload: '', deflate: false };
for (let i = 2; i < process.argv.length; i++) {
    const arg = process.argv[i];
    if (arg === '--port')
        opts.port = Number(process.argv[++i]);
    else if (arg === '--payload')
        opts.payload = process.argv[++i];
    else if (arg === '--deflate')
        opts.deflate = true;
    else
        fail('usage: reference-server.mjs --payload FILE [--port N] [--deflate]');
}
if (!opts.payload)
    fail('--payload FILE is required');
const payload = JSON.parse(fs.readFileSync(opts.payload, 'utf8'));
const key = Buffer.from(process.env.JARVIS_JWT_SECRET || DEFAULT_SECRET, 'utf8');

const httpServer = http.createServer((req, res) => {
    res.writeHead(404).end();
});
const io = new Server(httpServer, {
    path: '/socket.io/',
    serveClient: false,
    transports: ['polling', 'websocket'],
    // serverNoContextTakeover: see the header comment.
    perMessageDeflate: opts.deflate ? { threshold: 1024, serverNoContextTakeover: true } : false,
});

const cluster = io.of('/cluster');
cluster.use((socket, next) => {
    const reason = tokenProblem(key, socket.handshake.auth?.token);
    if (!reason)
        return next();
    const error = new Error('unauthorized');
    error.data = { reason };
    next(error);
});

const micros = () => Number(process.hrtime.bigint() / 1000n);
let running = false;

io.of('/bench').on('connection', (socket) => {
    socket.on('run', (options, ack) => {
        const count = Number(options?.count ?? 200);
        const rateHz = Number(options?.rateHz ?? 10);
        if (running || !(count >= 1) || !(rateHz > 0)) {
            if (typeof ack === 'function')
                ack({ error: 'busy or bad arguments' });
            return;
        }
        running = true;
        const periodUs = 1e6 / rateHz;
        const start = micros();
        let sent = 0;
        const tick = () => {
            const before = micros();
            cluster.emit('vms', payload);
            const callUs = micros() - before;
            socket.emit('sent', { k: sent, t: before, callUs });
            if (++sent >= count) {
                running = false;
                if (typeof ack === 'function')
                    ack({ count });
                return;
            }
            const next = start + Math.floor(sent * periodUs);
            setTimeout(tick, Math.max(0, Math.ceil((next - micros()) / 1000)));
        };
        tick();
    });
});

httpServer.listen(opts.port, '127.0.0.1', () => {
    const { port } = httpServer.address();
    process.stdout.write(`reference-server: listening on http://127.0.0.1:${port} pid ${process.pid}\n`);
});
