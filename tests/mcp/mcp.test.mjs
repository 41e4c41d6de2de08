// MCP against a real `jarvisd --demo`: the unmodified npm @modelcontextprotocol/sdk client over
// Streamable HTTP (/mcp) and over stdio (jarvisd --mcp-stdio), plus raw HTTP for what a
// well-behaved client never sends (PROTOCOL.md section 8). Server processes, logins and the
// socket.io-client come from the interop suite's harness (tests/interop/harness.mjs).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import {
    ADMIN_PASSWORD, JWT_SECRET, client as sioClient, closeClients, connected, forgeToken, httpRequest,
    login, startServer, waitUntil,
} from '../interop/harness.mjs';

const JARVISD = process.env.JARVISD;
const WAIT = 20000;
const KEY_NAME = 'test-assistant';

// A fresh key and its config entry, as an operator makes them.
function newApiKey(name) {
    const [key, entry] = execFileSync(JARVISD, ['--new-api-key', name], { encoding: 'utf8' }).trim().split('\n');
    return { key, entry };
}
const apiKey = newApiKey(KEY_NAME);

function withTimeout(promise, ms, what) {
    let timer;
    return Promise.race([
        promise.finally(() => clearTimeout(timer)),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); }),
    ]);
}

async function audit(url, token) {
    const r = await httpRequest(`${url}/api/audit?limit=200`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
    return r.json;
}

// A running, unprotected QEMU guest on an unprotected node, from get_vms' structured result.
function pickGuest(vms) {
    const guest = vms.find((v) => v.type === 'qemu' && v.status === 'running' && !v.protected);
    assert.ok(guest, `no running unprotected VM in ${JSON.stringify(vms.map((v) => [v.vmid, v.status, v.protected]))}`);
    return guest;
}

function tool(tools, name) {
    const t = tools.find((x) => x.name === name);
    assert.ok(t, `tool ${name} is listed`);
    return t;
}

// The checks both transports share: the client is connected; `user` is what the audit must say.
async function exerciseClient({ mcp, url, token, user }) {
    // tools/list with annotations from the tiers
    const { tools } = await mcp.listTools();
    const getVms = tool(tools, 'get_vms');
    assert.equal(getVms.annotations.readOnlyHint, true);
    assert.equal(getVms.annotations.openWorldHint, false);
    assert.equal(getVms.outputSchema.type, 'object');
    const stop = tool(tools, 'stop_vm');
    assert.equal(stop.annotations.readOnlyHint, false);
    assert.equal(stop.annotations.destructiveHint, true);
    assert.equal(stop.annotations.idempotentHint, true);
    assert.equal(stop.inputSchema.properties.confirmed.type, 'boolean');
    assert.equal(stop.title, 'Stop a VM');
    assert.equal(tool(tools, 'restart_vm').annotations.idempotentHint, false);
    const start = tool(tools, 'start_vm');
    assert.equal(start.annotations.destructiveHint, false);
    assert.equal(start.annotations.readOnlyHint, false);
    assert.equal(start.inputSchema.properties.confirmed, undefined);
    assert.equal(tool(tools, 'execute_ssh').annotations.destructiveHint, true);
    for (const black of ['delete_vm', 'delete_container', 'reboot_node', 'shutdown_node'])
        assert.equal(tools.find((t) => t.name === black), undefined, `${black} (BLACK) is not listed`);

    // a GREEN tool: text and structuredContent
    const vms = await mcp.callTool({ name: 'get_vms', arguments: {} });
    assert.ok(!vms.isError, JSON.stringify(vms));
    assert.ok(Array.isArray(vms.structuredContent.result));
    assert.equal(vms.structuredContent.tier, 'GREEN');
    assert.deepEqual(JSON.parse(vms.content[0].text), vms.structuredContent.result);
    const guest = pickGuest(vms.structuredContent.result);
    const args = { node: guest.node, vmid: guest.vmid };

    // a /cluster client, to see the change the confirmed call makes
    const cluster = sioClient(url, '/cluster', { auth: { token } });
    let latestVms = [];
    cluster.on('vms', (list) => { latestVms = list; });
    await connected(cluster);
    const statusOf = () => latestVms.find((v) => v.vmid === guest.vmid)?.status;
    await waitUntil(cluster, 'vms', () => statusOf() === 'running', { timeoutMs: WAIT, what: 'guest running on /cluster' });

    // RED without confirmation: refused, telling the assistant to ask its human
    const refused = await mcp.callTool({ name: 'stop_vm', arguments: args });
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /Ask the user first/);
    assert.match(refused.content[0].text, /"confirmed": true/);
    let entries = await audit(url, token);
    const blocked = entries.find((e) => e.tool === 'stop_vm' && e.status === 'blocked' && e.user === user);
    assert.ok(blocked, `blocked stop_vm audited for ${user}`);
    assert.equal(blocked.source, 'mcp');
    assert.equal(blocked.confirmed, false);

    // resources: list, read, subscribe (updated arrives when the snapshot changes)
    const { resources } = await mcp.listResources();
    assert.deepEqual(resources.map((r) => r.uri).sort(),
        ['jarvis://cluster/nodes', 'jarvis://cluster/quorum', 'jarvis://cluster/storage', 'jarvis://cluster/vms']);
    const read = await mcp.readResource({ uri: 'jarvis://cluster/vms' });
    assert.equal(read.contents[0].mimeType, 'application/json');
    assert.ok(JSON.parse(read.contents[0].text).some((v) => v.vmid === guest.vmid));
    const nodes = JSON.parse((await mcp.readResource({ uri: 'jarvis://cluster/nodes' })).contents[0].text);
    assert.ok(nodes.length >= 1 && nodes[0].id.startsWith('node/'));
    const updated = [];
    mcp.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => { updated.push(n.params.uri); });
    await mcp.subscribeResource({ uri: 'jarvis://cluster/vms' });

    // RED with confirmation: done, with progress from the Proxmox task, audited, seen on /cluster
    const progress = [];
    const done = await mcp.callTool({ name: 'stop_vm', arguments: { ...args, confirmed: true } }, undefined, {
        onprogress: (p) => progress.push(p),
        timeout: WAIT,
    });
    assert.ok(!done.isError, JSON.stringify(done));
    assert.equal(done.structuredContent.result.action, 'stop');
    assert.match(done.structuredContent.result.upid, /^UPID:/);
    assert.ok(progress.length >= 1, 'at least one notifications/progress');
    assert.match(progress[0].message, /Proxmox task/);
    for (let i = 1; i < progress.length; ++i)
        assert.ok(progress[i].progress > progress[i - 1].progress, 'progress increases');
    await waitUntil(cluster, 'vms', () => statusOf() === 'stopped', { timeoutMs: WAIT, what: 'guest stopped on /cluster' });
    entries = await audit(url, token);
    const succeeded = entries.find((e) => e.tool === 'stop_vm' && e.status === 'succeeded' && e.user === user);
    assert.ok(succeeded, `succeeded stop_vm audited for ${user}`);
    assert.equal(succeeded.source, 'mcp');
    assert.equal(succeeded.confirmed, true);
    await withTimeout((async () => {
        while (!updated.includes('jarvis://cluster/vms'))
            await new Promise((r) => setTimeout(r, 50));
    })(), WAIT, 'notifications/resources/updated for jarvis://cluster/vms');

    // YELLOW: start it again (no confirmation needed)
    const started = await mcp.callTool({ name: 'start_vm', arguments: args }, undefined, { timeout: WAIT });
    assert.ok(!started.isError, JSON.stringify(started));
    await waitUntil(cluster, 'vms', () => statusOf() === 'running', { timeoutMs: WAIT, what: 'guest running again' });
    await mcp.unsubscribeResource({ uri: 'jarvis://cluster/vms' });
    cluster.disconnect();
}

describe('MCP over Streamable HTTP', () => {
    let server;
    let url;
    let token;

    before(async () => {
        server = await startServer({ kind: 'jarvisd', env: { JARVIS_MCP_API_KEYS: apiKey.entry } });
        url = server.url;
        token = await login(url);
    });
    after(async () => {
        closeClients();
        await server?.stop();
    });

    const connect = async (bearer) => {
        const mcp = new Client({ name: 'jarvis-test', version: '1.0.0' });
        const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
            requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
        });
        await mcp.connect(transport);
        return { mcp, transport };
    };

    test('with an API key: initialize, tools, GREEN and RED calls, progress, resources, audit', async () => {
        const { mcp, transport } = await connect(apiKey.key);
        assert.equal(mcp.getServerVersion().name, 'jarvisd');
        assert.equal(transport.protocolVersion, '2025-11-25');
        assert.match(transport.sessionId, /^[A-Za-z0-9_-]{43}$/);
        assert.equal(mcp.getServerCapabilities().resources.subscribe, true);
        await mcp.ping();
        await exerciseClient({ mcp, url, token, user: `mcp:${KEY_NAME}` });
        await transport.terminateSession();
        await mcp.close();
    });

    test('with the JWT: the audit names its subject', async () => {
        const { mcp, transport } = await connect(token);
        const r = await mcp.callTool({ name: 'get_cluster_status', arguments: {} });
        assert.ok(!r.isError, JSON.stringify(r));
        assert.equal(typeof r.structuredContent.result.quorum.quorate, 'boolean');
        const entries = await audit(url, token);
        const entry = entries.find((e) => e.tool === 'get_cluster_status' && e.source === 'mcp');
        assert.equal(entry.user, 'admin');
        await transport.terminateSession();
        await mcp.close();
    });

    test('a subscription keeps the snapshots polled with nobody on /cluster', async () => {
        closeClients();
        const { mcp, transport } = await connect(apiKey.key);
        const updated = [];
        mcp.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => { updated.push(n.params.uri); });
        await mcp.subscribeResource({ uri: 'jarvis://cluster/nodes' });
        // The demo's nodes change a little on every poll (CPU, uptime): the next `nodes` poll, 10 s
        // apart, publishes a different text.
        await withTimeout((async () => {
            while (!updated.includes('jarvis://cluster/nodes'))
                await new Promise((r) => setTimeout(r, 50));
        })(), 30000, 'notifications/resources/updated for jarvis://cluster/nodes without /cluster clients');
        await transport.terminateSession();
        await mcp.close();
    });

    // Raw HTTP from here on: what the SDK never sends.
    const headersFor = (bearer, extra = {}) => ({
        authorization: `Bearer ${bearer}`,
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        ...extra,
    });
    const post = (body, headers) => httpRequest(`${url}/mcp`, {
        method: 'POST', headers, body: Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    });
    const initialize = async (version = '2025-06-18') => {
        const r = await post({
            jsonrpc: '2.0', id: 1, method: 'initialize',
            params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
        }, headersFor(apiKey.key));
        assert.equal(r.status, 200, r.text);
        return r;
    };

    test('version negotiation: 2025-06-18 is accepted, an unknown one gets the newest', async () => {
        let r = await initialize('2025-06-18');
        assert.equal(r.json.result.protocolVersion, '2025-06-18');
        r = await initialize('1999-01-01');
        assert.equal(r.json.result.protocolVersion, '2025-11-25');
    });

    test('a bad token, a bad API key, no credentials: 401 with WWW-Authenticate', async () => {
        const body = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '0' } } };
        const badToken = forgeToken({ secret: 'x'.repeat(43) });
        const badKey = newApiKey('unknown').key;
        for (const bearer of [badToken, badKey, `${token}x`]) {
            const r = await post(body, headersFor(bearer));
            assert.equal(r.status, 401, bearer);
            assert.match(r.headers['www-authenticate'], /^Bearer /);
        }
        const r = await post(body, { accept: 'application/json, text/event-stream', 'content-type': 'application/json' });
        assert.equal(r.status, 401);
        // the SDK client fails to connect with a bad key
        await assert.rejects(connect(badKey));
        assert.ok(JWT_SECRET && ADMIN_PASSWORD);
    });

    test('CORS: the preflight allows the MCP headers; an allowed origin may read the session id', async () => {
        const origin = url; // same-origin is always allowed
        let r = await httpRequest(`${url}/mcp`, {
            method: 'OPTIONS',
            headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'mcp-session-id' },
        });
        assert.equal(r.status, 204);
        assert.match(r.headers['access-control-allow-headers'], /mcp-session-id/);
        assert.match(r.headers['access-control-allow-headers'], /mcp-protocol-version/);
        assert.match(r.headers['access-control-allow-methods'], /DELETE/);
        r = await post({
            jsonrpc: '2.0', id: 1, method: 'initialize',
            params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'browser', version: '0' } },
        }, headersFor(apiKey.key, { origin }));
        assert.equal(r.status, 200);
        assert.equal(r.headers['access-control-allow-origin'], origin);
        assert.equal(r.headers['access-control-expose-headers'], 'Mcp-Session-Id');
    });

    test('a bad Origin: 403', async () => {
        const r = await post({ jsonrpc: '2.0', id: 1, method: 'ping' },
            headersFor(apiKey.key, { origin: 'http://evil.example' }));
        assert.equal(r.status, 403);
    });

    test('malformed JSON-RPC: parse error, invalid request, method not found, invalid params', async () => {
        const init = await initialize();
        const session = init.headers['mcp-session-id'];
        assert.match(session, /^[A-Za-z0-9_-]{43}$/);
        const h = headersFor(apiKey.key, { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' });
        const cases = [
            { body: '{"jsonrpc": "2.0", "id": 2, "method": ', status: 400, code: -32700 },
            { body: 'not json', status: 400, code: -32700 },
            { body: { jsonrpc: '2.0', id: 2 }, status: 400, code: -32600 },
            { body: { jsonrpc: '1.0', id: 2, method: 'ping' }, status: 400, code: -32600 },
            { body: { jsonrpc: '2.0', id: null, method: 'ping' }, status: 400, code: -32600 },
            { body: [{ jsonrpc: '2.0', id: 2, method: 'ping' }], status: 400, code: -32600 },
            { body: { jsonrpc: '2.0', id: 2, method: 'no/such/method' }, status: 200, code: -32601 },
            { body: { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 5 } }, status: 200, code: -32602 },
            { body: { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'nope' } }, status: 200, code: -32602 },
            { body: { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'get_vms', arguments: [] } }, status: 200, code: -32602 },
            { body: { jsonrpc: '2.0', id: 6, method: 'resources/read', params: {} }, status: 200, code: -32602 },
            { body: { jsonrpc: '2.0', id: 7, method: 'resources/read', params: { uri: 'jarvis://nope' } }, status: 200, code: -32002 },
            { body: { jsonrpc: '2.0', id: 8, method: 'initialize', params: {} }, status: 400, code: -32600 },
        ];
        for (const c of cases) {
            const r = await post(c.body, h);
            assert.equal(r.status, c.status, `${JSON.stringify(c.body)}: ${r.text}`);
            assert.equal(r.json?.error?.code, c.code, `${JSON.stringify(c.body)}: ${r.text}`);
        }
        // a tool's own failure is a result with isError, not a protocol error
        const r = await post({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'get_node_status', arguments: { node: 'no-such-node' } } }, h);
        assert.equal(r.status, 200);
        assert.equal(r.json.result.isError, true);
        // a notification is accepted with 202
        assert.equal((await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, h)).status, 202);
    });

    test('sessions: missing 400, unknown 404, bad protocol version 400, DELETE ends it', async () => {
        const ping = { jsonrpc: '2.0', id: 2, method: 'ping' };
        let r = await post(ping, headersFor(apiKey.key));
        assert.equal(r.status, 400);
        r = await post(ping, headersFor(apiKey.key, { 'mcp-session-id': 'A'.repeat(43) }));
        assert.equal(r.status, 404);
        const session = (await initialize()).headers['mcp-session-id'];
        r = await post(ping, headersFor(apiKey.key, { 'mcp-session-id': session, 'mcp-protocol-version': '2024-01-01' }));
        assert.equal(r.status, 400);
        r = await post(ping, headersFor(apiKey.key, { 'mcp-session-id': session }));
        assert.equal(r.status, 200);
        assert.deepEqual(r.json.result, {});
        // someone else's session is not found
        r = await post(ping, headersFor(token, { 'mcp-session-id': session }));
        assert.equal(r.status, 404);
        r = await httpRequest(`${url}/mcp`, { method: 'DELETE', headers: headersFor(apiKey.key, { 'mcp-session-id': session }) });
        assert.equal(r.status, 204);
        r = await post(ping, headersFor(apiKey.key, { 'mcp-session-id': session }));
        assert.equal(r.status, 404);
    });

    test('headers: 406 without the Accept types, 415 without JSON, 413 for an oversized body', async () => {
        const ping = { jsonrpc: '2.0', id: 2, method: 'ping' };
        let r = await post(ping, headersFor(apiKey.key, { accept: 'application/json' }));
        assert.equal(r.status, 406);
        r = await post(ping, headersFor(apiKey.key, { 'content-type': 'text/plain' }));
        assert.equal(r.status, 415);
        const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
        r = await post(big, headersFor(apiKey.key, { 'content-length': big.length }));
        assert.equal(r.status, 413);
    });
});

describe('MCP over stdio (jarvisd --mcp-stdio)', () => {
    test('the SDK client: the same tools, calls, resources and audit; user mcp:stdio', async () => {
        const transport = new StdioClientTransport({
            command: JARVISD,
            args: ['--demo', '--port', '0', '--mcp-stdio'],
            env: { JARVIS_ADMIN_PASSWORD: ADMIN_PASSWORD, JARVIS_JWT_SECRET: JWT_SECRET, QT_QPA_PLATFORM: 'offscreen' },
            stderr: 'pipe',
        });
        let stderr = '';
        transport.stderr.setEncoding('utf8');
        const listening = new Promise((resolve) => {
            transport.stderr.on('data', (chunk) => {
                stderr += chunk;
                const m = /jarvisd: listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
                if (m)
                    resolve(m[1]);
            });
        });
        const mcp = new Client({ name: 'jarvis-test-stdio', version: '1.0.0' });
        await mcp.connect(transport);
        const url = await withTimeout(listening, WAIT, 'the listening line on stderr');
        const token = await login(url);
        await exerciseClient({ mcp, url, token, user: 'mcp:stdio' });
        await mcp.close();
        closeClients();
    });

    test('stdout carries JSON-RPC lines only; end of input ends jarvisd cleanly', async () => {
        const child = spawn(JARVISD, ['--demo', '--port', '0', '--mcp-stdio'], {
            env: { ...process.env, JARVIS_ADMIN_PASSWORD: ADMIN_PASSWORD, QT_QPA_PLATFORM: 'offscreen' },
            stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (c) => { stdout += c; });
        child.stderr.resume();
        // 'close', not 'exit': the process may end before its stdout has been read to the end.
        const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
        const lines = [
            '{"jsonrpc":"2.0","id":0,"method":"tools/list"}',
            JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } }),
            '{"jsonrpc":"2.0","method":"notifications/initialized"}',
            '{not json',
            '{"jsonrpc":"2.0","id":2,"method":"nope"}',
            '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_storage","arguments":{}}}',
        ];
        child.stdin.write(`${lines.join('\n')}\n`);
        child.stdin.end();
        const { code, signal } = await withTimeout(exited, WAIT, 'jarvisd to exit after end of input');
        assert.equal(signal, null);
        assert.equal(code, 0);
        const out = stdout.trim().split('\n').map((l) => JSON.parse(l));
        assert.ok(out.every((m) => m.jsonrpc === '2.0'), stdout);
        const byId = (id) => out.find((m) => m.id === id);
        assert.equal(byId(0).error.code, -32000); // before initialize
        assert.equal(byId(1).result.protocolVersion, '2025-11-25');
        assert.equal(out.find((m) => m.id === null).error.code, -32700);
        assert.equal(byId(2).error.code, -32601);
        assert.ok(Array.isArray(byId(3).result.structuredContent.result));
        assert.equal(out.length, 5);
    });

    test('a client that reads late still gets every answer, whole and in order', async () => {
        const child = spawn(JARVISD, ['--demo', '--port', '0', '--mcp-stdio'], {
            env: { ...process.env, JARVIS_ADMIN_PASSWORD: ADMIN_PASSWORD, QT_QPA_PLATFORM: 'offscreen' },
            stdio: ['pipe', 'pipe', 'pipe'],
        });
        child.stderr.resume();
        const chunks = [];
        child.stdout.on('data', (c) => chunks.push(c));
        child.stdout.pause(); // nothing read until every request is out: answers pile up in jarvisd
        // 'close', not 'exit': the process may end before its stdout has been read to the end.
        const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
        const requests = 1500;
        const lines = [
            JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'late', version: '0' } } }),
            '{"jsonrpc":"2.0","method":"notifications/initialized"}',
        ];
        for (let id = 1; id <= requests; ++id)
            lines.push(JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list' }));
        await new Promise((resolve) => child.stdin.write(`${lines.join('\n')}\n`, resolve));
        child.stdin.end();
        child.stdout.resume();
        const { code, signal } = await withTimeout(exited, WAIT, 'jarvisd to exit after end of input');
        assert.equal(signal, null);
        assert.equal(code, 0);
        const text = Buffer.concat(chunks).toString('utf8');
        const out = text.trim().split('\n').map((l) => JSON.parse(l));
        assert.deepEqual(out.map((m) => m.id), Array.from({ length: requests + 1 }, (_, i) => i));
        const tools = JSON.stringify(out[1].result.tools);
        assert.ok(out.slice(1).every((m) => JSON.stringify(m.result.tools) === tools));
        assert.ok(text.length > 4 * 1024 * 1024, `${text.length} bytes`); // far beyond a pipe's 64 KiB
    });
});
