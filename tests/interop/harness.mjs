// Shared helpers for the interop suite: server processes, logins, forged tokens, client sockets,
// bounded waits and raw HTTP/WebSocket access for speaking Engine.IO by hand.
//
// Target selection (env):
//   INTEROP_TARGET=reference   run against reference-server.mjs (npm socket.io), to validate the tests
//   otherwise                  JARVISD (jarvisd) and JARVIS_TEST_SERVER (jarvis-test-server); when
//                              JARVIS_TEST_SERVER is unset it is looked up beside JARVISD in the build
//                              tree (<build>/service/jarvisd -> <build>/tests/support/jarvis-test-server)
//   INTEROP_VERBOSE=1          copy the servers' stdout/stderr to this process's stderr

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));

export const TARGET = process.env.INTEROP_TARGET === 'reference' ? 'reference' : 'jarvis';
export const isReference = TARGET === 'reference';
const verbose = process.env.INTEROP_VERBOSE === '1';

export const ADMIN_PASSWORD = 'interop-Passw0rd!';
// 43 base64url characters from 32 random bytes, as setup generates it; fresh for every run.
export const JWT_SECRET = crypto.randomBytes(32).toString('base64url');
export const MAX_PAYLOAD = 1_000_000;
export const WAIT_MS = 5000;

// The two transport set-ups most tests run under.
export const TRANSPORTS = [
    { name: 'default transports (polling, then upgrade)', key: 'default', opts: {}, upgrade: true },
    { name: "transports: ['websocket']", key: 'websocket', opts: { transports: ['websocket'] }, upgrade: false },
];
// Long-polling only, where the payload itself must cross the polling transport (binary as base64).
export const POLLING = { name: "transports: ['polling']", key: 'polling', opts: { transports: ['polling'] }, upgrade: false };
/** The Engine.IO transport a set-up runs on once connected (and upgraded). */
export const finalTransport = (transport) => (transport.key === 'polling' ? 'polling' : 'websocket');

// ---------------------------------------------------------------------------------------------
// Server processes

const children = new Set();

function killAllChildren() {
    for (const child of children) {
        try {
            child.kill('SIGKILL');
        } catch {
            // already gone
        }
    }
    children.clear();
}

process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
        killAllChildren();
        process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
}

function binaryFor(kind) {
    if (isReference)
        return { command: process.execPath, args: [path.join(here, 'reference-server.mjs')] };
    const jarvisd = process.env.JARVISD;
    if (kind === 'jarvisd') {
        if (!jarvisd)
            throw new Error('JARVISD is not set (path of the jarvisd binary); or run with INTEROP_TARGET=reference');
        return { command: jarvisd, args: [] };
    }
    let testServer = process.env.JARVIS_TEST_SERVER;
    if (!testServer && jarvisd)
        testServer = path.resolve(path.dirname(jarvisd), '..', 'tests', 'support', 'jarvis-test-server');
    if (!testServer)
        throw new Error('JARVIS_TEST_SERVER is not set (path of jarvis-test-server); or run with INTEROP_TARGET=reference');
    if (!fs.existsSync(testServer))
        throw new Error(`jarvis-test-server not found at ${testServer}`);
    return { command: testServer, args: [] };
}

const SETPRIV = process.platform === 'linux'
    ? ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p))
    : undefined;

const LISTENING = /^jarvisd: listening on (http:\/\/127\.0\.0\.1:(\d+))\s*$/m;

/**
 * Starts a server process and resolves once it printed its listening line on stdout.
 * kind: 'test' (jarvis-test-server, with /test) or 'jarvisd'.
 * Returns { url, port, kind, pid, stop(), restart(), output() }.
 */
export async function startServer({ kind = 'test', port = 0, env = {}, args = [], timeoutMs = 15000 } = {}) {
    const bin = binaryFor(kind);
    const childEnv = { ...process.env };
    // Nothing from the caller's environment may change what the tests expect (defaults of PROTOCOL.md).
    for (const key of Object.keys(childEnv)) {
        if (key.startsWith('JARVIS_') && key !== 'JARVIS_TEST_SERVER')
            delete childEnv[key];
    }
    // The suite runs once per WebSocket transport jarvisd ships (ctest interop_socketio_client
    // and interop_socketio_client_qt): INTEROP_WS_TRANSPORT=qt selects QtWebSockets.
    if (process.env.INTEROP_WS_TRANSPORT)
        childEnv.JARVIS_WS_TRANSPORT = process.env.INTEROP_WS_TRANSPORT;
    Object.assign(childEnv, {
        JARVIS_ADMIN_PASSWORD: ADMIN_PASSWORD,
        JARVIS_JWT_SECRET: JWT_SECRET,
        QT_QPA_PLATFORM: 'offscreen',
    }, env);

    const fullArgs = [...bin.args, '--demo', '--port', String(port), ...args];
    // setpriv --pdeathsig makes the kernel kill the server should this process die without running
    // its exit handlers (SIGKILL from a runner's timeout); it execs the server in place, same pid.
    const [command, commandArgs] = SETPRIV
        ? [SETPRIV, ['--pdeathsig', 'KILL', '--', bin.command, ...fullArgs]]
        : [bin.command, fullArgs];
    const child = spawn(command, commandArgs, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);

    let stdout = '';
    let stderr = '';
    const exited = new Promise((resolve) => {
        child.once('exit', (code, signal) => {
            children.delete(child);
            resolve({ code, signal });
        });
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
        stderr = (stderr + chunk).slice(-20000);
        if (verbose)
            process.stderr.write(`[${kind} stderr] ${chunk}`);
    });

    const listening = new Promise((resolve, reject) => {
        child.stdout.on('data', (chunk) => {
            stdout = (stdout + chunk).slice(-20000);
            if (verbose)
                process.stderr.write(`[${kind} stdout] ${chunk}`);
            const m = LISTENING.exec(stdout);
            if (m)
                resolve({ url: m[1], port: Number(m[2]) });
        });
        child.once('error', reject);
        exited.then(({ code, signal }) =>
            reject(new Error(`${bin.command} exited (code ${code}, signal ${signal}) before printing its listening line\n` +
                `stdout: ${stdout}\nstderr: ${stderr}`)));
    });

    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(
            `${bin.command} ${fullArgs.join(' ')} printed no "jarvisd: listening on http://127.0.0.1:<port>" line on stdout ` +
            `within ${timeoutMs} ms (stdout buffered?)\nstdout: ${JSON.stringify(stdout)}\nstderr: ${JSON.stringify(stderr.slice(-2000))}`)), timeoutMs);
    });
    let where;
    try {
        where = await Promise.race([listening, timeout]);
    } catch (err) {
        child.kill('SIGKILL');
        throw err;
    } finally {
        clearTimeout(timer);
    }
    if (port !== 0 && where.port !== port)
        throw new Error(`asked for --port ${port}, server listens on ${where.port}`);

    const server = {
        kind,
        url: where.url,
        port: where.port,
        pid: child.pid,
        output: () => ({ stdout, stderr }),
        exited,
        alive: () => child.exitCode === null && child.signalCode === null,
        /** SIGTERM, then SIGKILL after graceMs. Resolves with { code, signal }. */
        async stop(graceMs = 5000) {
            if (child.exitCode !== null || child.signalCode !== null)
                return exited;
            child.kill('SIGTERM');
            const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
            const result = await exited;
            clearTimeout(t);
            return result;
        },
        /** Stops this process and starts a new one on the same port; resolves with the new server. */
        async restart() {
            await server.stop();
            return startServer({ kind, port: where.port, env, args, timeoutMs });
        },
    };
    return server;
}

// ---------------------------------------------------------------------------------------------
// REST

/** Plain HTTP request with node:http (no keep-alive). Resolves { status, headers, text, json }. */
export function httpRequest(url, { method = 'GET', headers = {}, body, timeoutMs = WAIT_MS } = {}) {
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method, headers, agent: false });
        const timer = setTimeout(() => {
            req.destroy();
            reject(new Error(`${method} ${url}: no complete answer within ${timeoutMs} ms`));
        }, timeoutMs);
        let responded = false;
        req.on('response', (res) => {
            responded = true;
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('error', () => {});
            const finish = () => {
                clearTimeout(timer);
                req.destroy(); // no keep-alive; also stops a body the server did not wait for
                const raw = Buffer.concat(chunks);
                const text = raw.toString('utf8');
                let json;
                try {
                    json = JSON.parse(text);
                } catch {
                    json = undefined;
                }
                resolve({ status: res.statusCode, headers: res.headers, raw, text, json });
            };
            res.on('end', finish);
            res.on('aborted', finish);
        });
        req.on('error', (err) => {
            if (responded)
                return;
            clearTimeout(timer);
            reject(Object.assign(new Error(`${method} ${url}: ${err.code || err.message} before any answer`), { cause: err }));
        });
        if (body === undefined) {
            req.end();
        } else if (Buffer.isBuffer(body) && body.length > 65536) {
            // Big bodies go out in pieces and stop as soon as the server answered (e.g. an early 413).
            let offset = 0;
            const pump = () => {
                while (offset < body.length && !responded && !req.destroyed) {
                    const piece = body.subarray(offset, offset + 65536);
                    offset += piece.length;
                    if (!req.write(piece))
                        return req.once('drain', pump);
                }
                if (!responded && !req.destroyed)
                    req.end();
            };
            pump();
        } else {
            req.end(body);
        }
    });
}

export function postJson(url, value, headers = {}) {
    const body = Buffer.from(JSON.stringify(value));
    return httpRequest(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length, ...headers },
        body,
    });
}

/** POST /api/auth/login; resolves the token, throws with the answer on anything but 200. */
export async function login(baseUrl, password = ADMIN_PASSWORD, username) {
    const body = username === undefined ? { password } : { username, password };
    const r = await postJson(`${baseUrl}/api/auth/login`, body);
    if (r.status !== 200 || !r.json || typeof r.json.token !== 'string')
        throw new Error(`login failed: HTTP ${r.status} ${r.text}`);
    return r.json.token;
}

// ---------------------------------------------------------------------------------------------
// Tokens

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const HMAC = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

/**
 * Builds a JWT by hand. Defaults give a valid HS256 token for `admin` signed with the shared secret.
 * alg 'none' leaves the signature empty; `secret` signs with another key; `exp`/`iat` in seconds;
 * `header`/`claims` are merged over the defaults (undefined values drop a field).
 */
export function forgeToken({ secret = JWT_SECRET, alg = 'HS256', header = {}, claims = {}, lifetime = 3600, now } = {}) {
    const iat = now ?? Math.floor(Date.now() / 1000);
    const h = { alg, typ: 'JWT', ...header };
    const p = { sub: 'admin', iat, exp: iat + lifetime, jti: crypto.randomUUID(), ...claims };
    for (const obj of [h, p]) {
        for (const key of Object.keys(obj)) {
            if (obj[key] === undefined)
                delete obj[key];
        }
    }
    const signingInput = `${b64url(h)}.${b64url(p)}`;
    if (alg === 'none')
        return `${signingInput}.`;
    const sig = crypto.createHmac(HMAC[alg] ?? 'sha256', Buffer.from(secret, 'utf8')).update(signingInput).digest('base64url');
    return `${signingInput}.${sig}`;
}

// ---------------------------------------------------------------------------------------------
// Bounded waits

export function withTimeout(promise, ms, what) {
    let timer;
    return Promise.race([
        promise,
        new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
        }),
    ]).finally(() => clearTimeout(timer));
}

/** Resolves with the argument list of the next `event` on `emitter` (for which `filter(...args)` holds). */
export function waitFor(emitter, event, { timeoutMs = WAIT_MS, filter } = {}) {
    let handler;
    const p = new Promise((resolve) => {
        handler = (...args) => {
            if (filter && !filter(...args))
                return;
            emitter.off(event, handler);
            resolve(args);
        };
        emitter.on(event, handler);
    });
    return withTimeout(p, timeoutMs, `event "${event}"`).catch((err) => {
        emitter.off(event, handler);
        throw err;
    });
}

/** Resolves once `predicate()` holds, checking on every `event` of `emitter`. */
export async function waitUntil(emitter, event, predicate, { timeoutMs = WAIT_MS, what = 'condition' } = {}) {
    if (predicate())
        return;
    let handler;
    const p = new Promise((resolve) => {
        handler = () => {
            if (predicate()) {
                emitter.off(event, handler);
                resolve();
            }
        };
        emitter.on(event, handler);
    });
    return withTimeout(p, timeoutMs, what).catch((err) => {
        emitter.off(event, handler);
        throw err;
    });
}

// ---------------------------------------------------------------------------------------------
// socket.io-client sockets

const clients = new Set();

/**
 * A socket.io-client socket for `nsp` with test defaults: its own Manager (forceNew), no automatic
 * reconnection, 5 s connect timeout. `opts` go to io() unchanged.
 */
export function client(baseUrl, nsp, opts = {}) {
    const socket = io(baseUrl + nsp, { forceNew: true, reconnection: false, timeout: WAIT_MS, ...opts });
    return track(socket);
}

export function track(socket) {
    clients.add(socket);
    return socket;
}

/** Disconnects every socket made through client()/track(), so no Manager keeps the loop alive. */
export function closeClients() {
    for (const socket of clients) {
        socket.disconnect();
        socket.io?.engine?.close();
    }
    clients.clear();
}

/** Resolves on 'connect'; rejects with the connect_error (message, data) if that comes first. */
export function connected(socket, timeoutMs = WAIT_MS) {
    if (socket.connected)
        return Promise.resolve(socket);
    let onConnect;
    let onError;
    const p = new Promise((resolve, reject) => {
        onConnect = () => resolve(socket);
        onError = (err) => reject(Object.assign(
            new Error(`connect_error on ${socket.nsp}: ${err.message} ${JSON.stringify(err.data ?? null)}`), { cause: err }));
        socket.once('connect', onConnect);
        socket.once('connect_error', onError);
    });
    return withTimeout(p, timeoutMs, `connect on ${socket.nsp}`).finally(() => {
        socket.off('connect', onConnect);
        socket.off('connect_error', onError);
    });
}

/** Resolves with the connect_error; rejects if the socket connects instead. */
export function connectError(socket, timeoutMs = WAIT_MS) {
    let onConnect;
    let onError;
    const p = new Promise((resolve, reject) => {
        onConnect = () => reject(new Error(`${socket.nsp} connected, expected connect_error`));
        onError = (err) => resolve(err);
        socket.once('connect', onConnect);
        socket.once('connect_error', onError);
    });
    return withTimeout(p, timeoutMs, `connect_error on ${socket.nsp}`).finally(() => {
        socket.off('connect', onConnect);
        socket.off('connect_error', onError);
    });
}

/** Resolves once the socket's Engine.IO connection runs over WebSocket (after the upgrade). */
export async function upgraded(socket, timeoutMs = WAIT_MS) {
    const engine = socket.io.engine;
    if (engine.transport?.name === 'websocket')
        return;
    let onError;
    const failed = new Promise((_, reject) => {
        onError = (err) => reject(new Error(`upgradeError: ${err?.message ?? err}`));
        engine.once('upgradeError', onError);
    });
    try {
        await Promise.race([waitFor(engine, 'upgrade', { timeoutMs }), failed]);
    } finally {
        engine.off('upgradeError', onError);
    }
    if (engine.transport.name !== 'websocket')
        throw new Error(`transport is ${engine.transport.name} after the upgrade`);
}

/** Emits with an ack; resolves with the ack's argument list. */
export function ack(socket, event, ...args) {
    return new Promise((resolve, reject) => {
        socket.timeout(WAIT_MS).emit(event, ...args, (err, ...reply) => {
            if (err)
                reject(new Error(`no ack for "${event}" within ${WAIT_MS} ms`));
            else
                resolve(reply);
        });
    });
}

/** Any binary value as a Buffer (socket.io-client may hand out Buffer or ArrayBuffer). */
export function toBuffer(value) {
    if (Buffer.isBuffer(value))
        return value;
    if (value instanceof ArrayBuffer)
        return Buffer.from(value);
    if (ArrayBuffer.isView(value))
        return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    throw new Error(`not binary: ${typeof value} ${JSON.stringify(value)?.slice(0, 80)}`);
}

/** Deep comparison where binaries compare by bytes and must arrive as binaries. */
export function assertSameData(actual, expected, where = '$') {
    const isBin = (v) => Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v);
    if (isBin(expected)) {
        if (!isBin(actual))
            throw new Error(`${where}: expected binary (${toBuffer(expected).length} bytes), got ${typeof actual} ${JSON.stringify(actual)?.slice(0, 80)}`);
        const a = toBuffer(actual);
        const e = toBuffer(expected);
        if (!a.equals(e))
            throw new Error(`${where}: binary differs (got ${a.length} bytes, expected ${e.length})`);
        return;
    }
    if (Array.isArray(expected)) {
        if (!Array.isArray(actual) || actual.length !== expected.length)
            throw new Error(`${where}: expected array of ${expected.length}, got ${JSON.stringify(actual)?.slice(0, 120)}`);
        expected.forEach((v, i) => assertSameData(actual[i], v, `${where}[${i}]`));
        return;
    }
    if (expected !== null && typeof expected === 'object') {
        if (actual === null || typeof actual !== 'object' || Array.isArray(actual) || isBin(actual))
            throw new Error(`${where}: expected object, got ${JSON.stringify(actual)?.slice(0, 120)}`);
        const ek = Object.keys(expected).sort();
        const ak = Object.keys(actual).sort();
        if (JSON.stringify(ek) !== JSON.stringify(ak))
            throw new Error(`${where}: keys ${JSON.stringify(ak)}, expected ${JSON.stringify(ek)}`);
        for (const k of ek)
            assertSameData(actual[k], expected[k], `${where}.${k}`);
        return;
    }
    if (!Object.is(actual, expected))
        throw new Error(`${where}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

// ---------------------------------------------------------------------------------------------
// Raw Engine.IO

export const eioPath = (query) => `/socket.io/?${query}`;

/** Polling handshake by hand; resolves the parsed open packet ({sid, upgrades, pingInterval, ...}). */
export async function pollingHandshake(baseUrl, headers = {}) {
    const r = await httpRequest(`${baseUrl}${eioPath('EIO=4&transport=polling')}`, { headers });
    if (r.status !== 200 || r.text[0] !== '0')
        throw new Error(`polling handshake: HTTP ${r.status} ${JSON.stringify(r.text.slice(0, 200))}`);
    return JSON.parse(r.text.slice(1).split('\x1e')[0]);
}

/**
 * A raw WebSocket (npm ws) with an inbox. Engine.IO pings ("2") are answered with "3".
 * Resolves once open; rejects with { status, body } when the server refuses the upgrade.
 */
export function rawWebSocket(url, { headers = {}, autoPong = true, timeoutMs = WAIT_MS } = {}) {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false, handshakeTimeout: timeoutMs, maxPayload: 0 });
    const inbox = [];
    const waiters = new Set();
    ws.on('message', (data, isBinary) => {
        const msg = isBinary ? { binary: true, data: Buffer.from(data) } : { binary: false, data: data.toString('utf8') };
        if (autoPong && !msg.binary && msg.data === '2') {
            ws.send('3');
            return;
        }
        inbox.push(msg);
        for (const w of [...waiters])
            w();
    });
    const closed = new Promise((resolve) => {
        ws.on('close', (code, reason) => {
            resolve({ code, reason: reason.toString('utf8') });
            for (const w of [...waiters])
                w();
        });
    });
    ws.on('error', () => {});
    const opened = new Promise((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('unexpected-response', (req, res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('error', () => {});
            res.on('end', () => {
                const body = Buffer.concat(chunks).toString('utf8');
                req.destroy();
                reject(Object.assign(new Error(`upgrade refused: HTTP ${res.statusCode} ${body}`), { status: res.statusCode, body, headers: res.headers }));
            });
        });
        ws.once('error', (err) => reject(Object.assign(new Error(`websocket error: ${err.message}`), { cause: err })));
    });
    const raw = {
        ws,
        inbox,
        closed,
        isClosed: () => ws.readyState === WebSocket.CLOSED,
        send: (data) => new Promise((resolve) => ws.send(data, () => resolve())),
        /** Next message (consumed from the inbox) for which `match(msg)` holds. */
        next(match = () => true, timeoutMs2 = WAIT_MS, what = 'a message') {
            let waiter;
            const p = new Promise((resolve, reject) => {
                waiter = () => {
                    const i = inbox.findIndex(match);
                    if (i >= 0) {
                        waiters.delete(waiter);
                        resolve(inbox.splice(i, 1)[0]);
                    } else if (ws.readyState === WebSocket.CLOSED) {
                        waiters.delete(waiter);
                        reject(new Error(`websocket closed while waiting for ${what}; inbox ${JSON.stringify(inbox.map((m) => m.binary ? `<${m.data.length} bytes>` : m.data.slice(0, 80)))}`));
                    }
                };
                waiters.add(waiter);
                waiter();
            });
            return withTimeout(p, timeoutMs2, what).finally(() => waiters.delete(waiter));
        },
        close: () => ws.terminate(),
    };
    return withTimeout(opened, timeoutMs + 1000, `websocket open ${url}`).then(() => raw);
}

/** ws://... URL for the Engine.IO endpoint with `query`. */
export const wsUrl = (baseUrl, query) => baseUrl.replace(/^http/, 'ws') + eioPath(query);

/**
 * A raw Engine.IO session over a direct WebSocket, connected to Socket.IO namespace `nsp` with `token`.
 * Resolves { raw, open, sid }.
 */
export async function rawSocketIo(baseUrl, nsp, token) {
    const raw = await rawWebSocket(wsUrl(baseUrl, 'EIO=4&transport=websocket'));
    const openMsg = await raw.next((m) => !m.binary && m.data[0] === '0', WAIT_MS, 'the Engine.IO open packet');
    const open = JSON.parse(openMsg.data.slice(1));
    if (nsp) {
        await raw.send(`40${nsp},${JSON.stringify({ token })}`);
        const reply = await raw.next((m) => !m.binary && (m.data.startsWith(`40${nsp},`) || m.data.startsWith(`44${nsp},`)), WAIT_MS, `CONNECT reply on ${nsp}`);
        if (!reply.data.startsWith(`40${nsp},`))
            throw new Error(`raw CONNECT to ${nsp} refused: ${reply.data}`);
        const { sid } = JSON.parse(reply.data.slice(`40${nsp},`.length));
        return { raw, open, sid };
    }
    return { raw, open };
}
