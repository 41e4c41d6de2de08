#!/usr/bin/env node
// Reference server on npm socket.io@4.8 that behaves like jarvis-test-server on the wire: same
// command line, listening line, login, JWT check, namespaces and /test events. It validates the
// interop suite (INTEROP_TARGET=reference) and is the baseline for benchmarks.
//
//   node reference-server.mjs [--port N] [--listen ADDR] [--demo]
//   env: JARVIS_ADMIN_PASSWORD (required), JARVIS_JWT_SECRET (required, >= 43 chars),
//        JARVIS_PING_INTERVAL, JARVIS_PING_TIMEOUT (ms), JARVIS_MAX_PAYLOAD (bytes),
//        JARVIS_ALLOWED_ORIGINS (comma-separated; same-origin is always allowed)

import crypto from 'node:crypto';
import http from 'node:http';
import { Server } from 'socket.io';
import { issueToken, tokenProblem } from '../support/hs256.mjs';

const TOKEN_LIFETIME = 86400;
const MAX_LOGIN_FAILURES = 5;
const LOGIN_WINDOW_MS = 60_000;
const MAX_REST_BODY = 1024 * 1024;

function fail(message) {
    process.stderr.write(`reference-server: ${message}\n`);
    process.exit(2);
}

function parseArgs(argv) {
    const opts = { port: 8080, listen: '127.0.0.1' };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === '--port')
            opts.port = Number(argv[++i]);
        else if (arg === '--listen')
            opts.listen = argv[++i];
        else if (arg === '--demo')
            continue;
        else
            fail(`unknown argument ${arg}`);
    }
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
        fail('--port needs a number 0..65535');
    return opts;
}

const intEnv = (name, fallback) => {
    const v = process.env[name];
    return v ? Number.parseInt(v, 10) : fallback;
};

const opts = parseArgs(process.argv.slice(2));
const password = process.env.JARVIS_ADMIN_PASSWORD;
const secret = process.env.JARVIS_JWT_SECRET;
if (!password)
    fail('JARVIS_ADMIN_PASSWORD is not set');
if (!secret || secret.length < 43)
    fail('JARVIS_JWT_SECRET must be at least 43 characters');
const allowedOrigins = new Set((process.env.JARVIS_ALLOWED_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean));

// --- JWT (HS256 only, tests/support/hs256.mjs) ------------------------------------------

const key = Buffer.from(secret, 'utf8');

// --- REST ----------------------------------------------------------------------------------

const startedAt = Date.now();
const failures = new Map(); // address -> [failure times, oldest first]

function retryAfter(address, now) {
    const list = (failures.get(address) ?? []).filter((t) => t > now - LOGIN_WINDOW_MS);
    failures.set(address, list);
    if (list.length < MAX_LOGIN_FAILURES)
        return 0;
    return Math.ceil((list[0] + LOGIN_WINDOW_MS - now) / 1000);
}

function sendJson(res, status, value) {
    const body = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
}

function readBody(req) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        let size = 0;
        req.on('data', (c) => {
            size += c.length;
            if (size > MAX_REST_BODY) {
                reject(Object.assign(new Error('too large'), { status: 413 }));
                req.destroy();
                return;
            }
            chunks.push(c);
        });
        req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        req.on('error', reject);
    });
}

const sameText = (a, b) => crypto.timingSafeEqual(
    crypto.createHash('sha256').update(String(a)).digest(), crypto.createHash('sha256').update(String(b)).digest());

async function login(req, res) {
    const address = req.socket.remoteAddress;
    const wait = retryAfter(address, Date.now());
    if (wait > 0)
        return sendJson(res, 429, { error: 'too many attempts', retryAfter: wait });
    let body;
    try {
        body = JSON.parse(await readBody(req));
    } catch (err) {
        return sendJson(res, err.status ?? 400, { error: err.status ? 'payload too large' : 'invalid JSON' });
    }
    const ok = body && typeof body === 'object' && sameText(body.username ?? 'admin', 'admin') && sameText(body.password ?? '', password);
    if (!ok) {
        failures.get(address).push(Date.now());
        return sendJson(res, 401, { error: 'invalid credentials' });
    }
    failures.delete(address);
    return sendJson(res, 200, { token: issueToken(key, 'admin', TOKEN_LIFETIME), expiresIn: TOKEN_LIFETIME });
}

function handleRest(req, res) {
    const { pathname } = new URL(req.url, 'http://localhost');
    if (pathname === '/api/health' && req.method === 'GET') {
        return sendJson(res, 200, {
            status: 'ok', version: 'reference', uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
            proxmox: { reachable: false, lastPollAt: null }, ssh: { connected: [] },
        });
    }
    if (pathname === '/api/auth/login' && req.method === 'POST')
        return login(req, res).catch(() => sendJson(res, 500, { error: 'internal error' }));
    return sendJson(res, 404, { error: 'not found' });
}

// --- Socket.IO -----------------------------------------------------------------------------

const httpServer = http.createServer(handleRest);

function originAllowed(req) {
    const origin = req.headers.origin;
    return !origin || origin === `http://${req.headers.host}` || allowedOrigins.has(origin);
}

// engine.io refuses a WebSocket upgrade with 400 whatever the reason; answer a foreign Origin with
// 403 as the contract says (engine.io's own listener then finds the socket closed).
httpServer.prependListener('upgrade', (req, socket) => {
    if (originAllowed(req))
        return;
    const body = JSON.stringify({ code: 4, message: 'Forbidden' });
    socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
});

const io = new Server(httpServer, {
    path: '/socket.io/',
    serveClient: false,
    transports: ['polling', 'websocket'],
    pingInterval: intEnv('JARVIS_PING_INTERVAL', 25000),
    pingTimeout: intEnv('JARVIS_PING_TIMEOUT', 20000),
    maxHttpBufferSize: intEnv('JARVIS_MAX_PAYLOAD', 1_000_000),
    allowRequest: (req, callback) => callback(null, originAllowed(req)),
});

function requireToken(socket, next) {
    const reason = tokenProblem(key, socket.handshake.auth?.token);
    if (!reason)
        return next();
    const err = new Error('unauthorized');
    err.data = { reason };
    return next(err);
}

// The main namespace is not part of the contract.
io.of('/').use((socket, next) => next(new Error('Invalid namespace')));

for (const name of ['/cluster', '/events', '/terminal'])
    io.of(name).use(requireToken);

const test = io.of('/test');
test.use(requireToken);
let ticks = { timer: null, n: 0 };

const withoutAck = (args) => (typeof args.at(-1) === 'function' ? [args.slice(0, -1), args.at(-1)] : [args, null]);

test.on('connection', (socket) => {
    socket.on('echo', (...received) => {
        const [args, ack] = withoutAck(received);
        ack?.(...args);
    });
    socket.on('emit-back', (...received) => socket.emit('echo-back', ...withoutAck(received)[0]));
    socket.on('ask', (payload) => socket.emit('question', payload, (answer) => socket.emit('answer', answer)));
    socket.on('disconnect-me', () => socket.disconnect());
    socket.on('broadcast', (payload) => test.emit('broadcasted', payload));
    socket.on('start-ticks', ({ intervalMs } = {}) => {
        clearInterval(ticks.timer);
        const ms = Math.min(Math.max(Number(intervalMs) || 1000, 10), 60_000);
        ticks = { timer: setInterval(() => test.emit('tick', ++ticks.n), ms), n: 0 };
    });
    socket.on('stop-ticks', () => clearInterval(ticks.timer));
});

// --- run -----------------------------------------------------------------------------------

httpServer.on('error', (err) => fail(`cannot listen on ${opts.listen}:${opts.port}: ${err.message}`));
httpServer.listen(opts.port, opts.listen, () => {
    process.stdout.write(`jarvisd: listening on http://${opts.listen}:${httpServer.address().port}\n`);
});

let stopping = false;
async function shutdown() {
    if (stopping)
        return;
    stopping = true;
    clearInterval(ticks.timer);
    await io.close();
    httpServer.closeAllConnections();
    process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
