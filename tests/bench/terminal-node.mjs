// The terminal benchmark's reference server (docs/PERFORMANCE.md, issue 5): PROTOCOL.md's
// /terminal on npm socket.io 4.8.4 + ssh2 1.16.0, the stack a Node backend would use. One SSH
// connection shared by every session (like jarvisd's pool), a PTY shell per `start`, `data` both
// ways as strings (StringDecoder, so no UTF-8 character is split), `exit {code, node}`. No auth.
//
//   node terminal-node.mjs --ssh-port P --key FILE --user U [--host 127.0.0.1] [--port 0]
// Prints "listening on http://127.0.0.1:PORT" once ready.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { Server } from "socket.io";
import ssh2 from "ssh2";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const sshHost = opt("--host", "127.0.0.1");
const sshPort = Number(opt("--ssh-port", "22"));
const privateKey = readFileSync(opt("--key"));
const username = opt("--user", "root");
const nodes = new Set(["pve1", "pve2", "pve3"]);

let connection = null; // a promise of one ready ssh2 Client, shared
function pooled() {
  if (!connection) {
    connection = new Promise((resolve, reject) => {
      const c = new ssh2.Client();
      c.on("ready", () => resolve(c));
      c.on("error", (e) => {
        connection = null;
        reject(e);
      });
      c.on("close", () => {
        connection = null;
      });
      c.connect({ host: sshHost, port: sshPort, username, privateKey, keepaliveInterval: 30000 });
    });
  }
  return connection;
}

const http = createServer();
const io = new Server(http, { cors: { origin: "*" } });
io.of("/terminal").on("connection", (socket) => {
  let stream = null;
  socket.on("start", async (req) => {
    const node = String(req?.node ?? "").toLowerCase();
    if (!nodes.has(node)) {
      socket.emit("error", `unknown node ${node}`);
      return;
    }
    if (stream) stream.close();
    try {
      const c = await pooled();
      c.shell({ term: "xterm-256color", cols: req.cols || 80, rows: req.rows || 24 }, (err, s) => {
        if (err) {
          socket.emit("error", String(err.message || err));
          return;
        }
        stream = s;
        const decoder = new StringDecoder("utf8");
        s.on("data", (chunk) => {
          const text = decoder.write(chunk);
          if (text) socket.emit("data", text);
        });
        s.stderr.on("data", (chunk) => socket.emit("data", chunk.toString("utf8")));
        s.on("close", (code) => {
          if (stream === s) stream = null;
          socket.emit("exit", { code: code ?? 0, node });
        });
        socket.emit("ready", { node, host: sshHost });
      });
    } catch (e) {
      socket.emit("error", String(e.message || e));
    }
  });
  socket.on("data", (text) => {
    if (stream && typeof text === "string") stream.write(text);
  });
  socket.on("resize", (size) => {
    if (stream && size) stream.setWindow(size.rows, size.cols, 0, 0);
  });
  socket.on("disconnect", () => {
    if (stream) stream.close();
  });
});
http.listen(Number(opt("--port", "0")), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${http.address().port}`);
});
