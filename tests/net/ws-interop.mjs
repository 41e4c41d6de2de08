// Interop of RawWsTransport (tests/net/wsechoserver) with the npm `ws` client, with and
// without permessage-deflate. Run: WSECHOSERVER=/path/to/wsechoserver node --test ws-interop.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../interop/package.json', import.meta.url));
const WebSocket = require('ws');

let server;
let port;

before(async () => {
  const binary = process.env.WSECHOSERVER;
  assert.ok(binary, 'WSECHOSERVER must point to the wsechoserver executable');
  server = spawn(binary, [], { stdio: ['ignore', 'pipe', 'inherit'] });
  port = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    server.on('exit', (code) => reject(new Error(`wsechoserver exited with ${code}`)));
  });
});

after(() => {
  server?.kill();
});

// Resolves with the open client; `ws.responseExtensions` is the server's
// Sec-WebSocket-Extensions header (ws.extensions only lists extension names).
function open(perMessageDeflate) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/interop?x=1`, { perMessageDeflate });
    ws.once('upgrade', (response) => {
      ws.responseExtensions = response.headers['sec-websocket-extensions'] ?? '';
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextMessage(ws) {
  return new Promise((resolve, reject) => {
    ws.once('message', (data, isBinary) => resolve({ data, isBinary }));
    ws.once('close', (code) => reject(new Error(`closed with ${code} while waiting`)));
  });
}

function closed(ws) {
  return new Promise((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

function messages(ws, count) {
  return new Promise((resolve, reject) => {
    const received = [];
    const onMessage = (data, isBinary) => {
      received.push({ data, isBinary });
      if (received.length === count) {
        ws.off('message', onMessage);
        resolve(received);
      }
    };
    ws.on('message', onMessage);
    ws.once('close', (code) => reject(new Error(`closed with ${code} after ${received.length}`)));
  });
}

// Same document as vmsDocument() in wsechoserver.cpp.
function vmsDocument(seq) {
  const vms = [];
  for (let i = 0; i < 1200; ++i) {
    vms.push({
      id: i,
      name: `vm-${i}`,
      state: (i + seq) % 3 ? 'running' : 'stopped',
      cpu: (i * 7 + seq) % 100,
    });
  }
  return JSON.stringify({ seq, vms });
}

function jsonishText(size) {
  const parts = [];
  let length = 0;
  for (let i = 0; length < size; ++i) {
    const part = `{"id":${i},"name":"vm-${i}","note":"h\u00e9llo \u20ac ${i % 97}"},`;
    parts.push(part);
    length += part.length;
  }
  return parts.join('');
}

for (const deflate of [true, false]) {
  describe(`perMessageDeflate ${deflate}`, () => {
    test('negotiation', async () => {
      const ws = await open(deflate);
      if (deflate) {
        assert.equal(ws.extensions, 'permessage-deflate');
        assert.equal(ws.responseExtensions, 'permessage-deflate; server_no_context_takeover');
      } else {
        assert.equal(ws.extensions, '');
        assert.equal(ws.responseExtensions, '');
      }
      ws.close();
      await closed(ws);
    });

    test('echo text, unicode, binary', async () => {
      const ws = await open(deflate);
      const unicode = 'h\u00e9llo \u20ac \u{1F600}';
      for (const text of ['hello', '', unicode, 'x'.repeat(5000)]) {
        ws.send(text);
        const { data, isBinary } = await nextMessage(ws);
        assert.equal(isBinary, false);
        assert.equal(data.toString(), text);
      }
      const bytes = randomBytes(3000);
      ws.send(bytes);
      const { data, isBinary } = await nextMessage(ws);
      assert.equal(isBinary, true);
      assert.deepEqual(Buffer.from(data), bytes);
      ws.close(1000);
      assert.equal((await closed(ws)).code, 1000);
    });

    test('echo 500 KB json-ish text', async () => {
      const ws = await open(deflate);
      const text = jsonishText(500 * 1024);
      const before = ws._socket.bytesRead;
      ws.send(text);
      const { data } = await nextMessage(ws);
      assert.equal(data.toString(), text);
      const onWire = ws._socket.bytesRead - before;
      if (deflate) assert.ok(onWire < text.length / 4, `compressed echo took ${onWire} bytes`);
      else assert.ok(onWire > Buffer.byteLength(text), `plain echo took ${onWire} bytes`);
      ws.close();
      await closed(ws);
    });

    test('several messages keep the client context', async () => {
      const ws = await open(deflate);
      for (let i = 0; i < 20; ++i) {
        const text = vmsDocument(i).slice(0, 2000 + i * 100);
        ws.send(text);
        assert.equal((await nextMessage(ws)).data.toString(), text);
      }
      ws.close();
      await closed(ws);
    });

    test('2 MB compressible message closes with 1009', async () => {
      const ws = await open(deflate);
      const done = closed(ws);
      ws.on('error', () => {});
      ws.send('a'.repeat(2 * 1024 * 1024));
      assert.equal((await done).code, 1009);
    });

    test('2 MB random binary closes with 1009', async () => {
      const ws = await open(deflate);
      const done = closed(ws);
      ws.on('error', () => {});
      ws.send(randomBytes(2 * 1024 * 1024));
      assert.equal((await done).code, 1009);
    });

    test('invalid UTF-8 text closes with 1007', async () => {
      const ws = await open(deflate);
      const done = closed(ws);
      ws.on('error', () => {});
      ws.send(Buffer.from([0x61, 0xff, 0x62]), { binary: false });
      assert.equal((await done).code, 1007);
    });

    test('ping gets pong', async () => {
      const ws = await open(deflate);
      const pong = new Promise((resolve) => ws.once('pong', resolve));
      ws.ping('are you there');
      assert.equal((await pong).toString(), 'are you there');
      ws.close();
      await closed(ws);
    });

    test('server-initiated close', async () => {
      const ws = await open(deflate);
      const done = closed(ws);
      ws.send('close 4001 server bye');
      const { code, reason } = await done;
      assert.equal(code, 4001);
      assert.equal(reason, 'server bye');
    });
  });
}

describe('permessage-deflate variants', () => {
  test('client_no_context_takeover', async () => {
    const ws = await open({ clientNoContextTakeover: true });
    assert.match(ws.responseExtensions, /; client_no_context_takeover/);
    for (let i = 0; i < 5; ++i) {
      const text = vmsDocument(i);
      ws.send(text);
      assert.equal((await nextMessage(ws)).data.toString(), text);
    }
    ws.close();
    await closed(ws);
  });

  test('client_max_window_bits=10', async () => {
    const ws = await open({ clientMaxWindowBits: 10 });
    assert.match(ws.responseExtensions, /; client_max_window_bits=10/);
    const text = vmsDocument(3);
    ws.send(text);
    assert.equal((await nextMessage(ws)).data.toString(), text);
    ws.close();
    await closed(ws);
  });

  test('server_max_window_bits below 15 is declined', async () => {
    const ws = await open({ serverMaxWindowBits: 10 });
    assert.equal(ws.extensions, '');
    assert.equal(ws.responseExtensions, '');
    ws.send('still works');
    assert.equal((await nextMessage(ws)).data.toString(), 'still works');
    ws.close();
    await closed(ws);
  });
});

test('prepared broadcast reaches every client intact, framed once per variant', async () => {
  const clients = await Promise.all([open(true), open(true), open(false), open(false)]);
  const requester = clients[0];
  const count = 5;
  const receiving = clients.map((ws, index) => messages(ws, index === 0 ? count + 1 : count));
  requester.send(`broadcast ${count}`);
  const results = await Promise.all(receiving);
  for (const received of results) {
    for (let seq = 0; seq < count; ++seq) {
      assert.equal(received[seq].isBinary, false);
      assert.equal(received[seq].data.toString(), vmsDocument(seq));
    }
  }
  const report = JSON.parse(results[0][count].data.toString().replace(/^broadcast-done /, ''));
  assert.equal(report.count, count);
  assert.ok(report.clients >= 4);
  // Plain and deflated variant, each built once, whatever the number of clients.
  assert.deepEqual(report.framesBuilt, Array(count).fill(2));
  await Promise.all(
    clients.map((ws) => {
      const done = closed(ws);
      ws.close();
      return done;
    }),
  );
});
