// The terminal benchmark's browser-like client (docs/PERFORMANCE.md, issue 5): the same
// measurement as jarvis-bench-terminal's client, made by the npm socket.io-client 4.8.4 over
// WebSocket, which offers permessage-deflate as browsers do. One terminal on /terminal: after
// `ready` and the prompt, `cat FILE; echo __EN''D__` timed until __END__, then `cat >/dev/null`
// and one `x` keystroke at a time timed until its echo (20 warm-up, then --samples, 2 ms apart).
// Prints one line of key=value pairs like jarvis-bench-terminal.
//
//   node terminal-npm-client.mjs --url URL --token T --file F --bytes N --server-pid PID
//                                [--samples 500] [--node pve1]
import { readFileSync } from "node:fs";
import { io } from "socket.io-client";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const url = opt("--url");
const file = opt("--file");
const bytes = Number(opt("--bytes"));
const serverPid = opt("--server-pid");
const samples = Number(opt("--samples", "500"));
const node = opt("--node", "pve1");

// utime + stime of another process, from /proc/PID/stat (clock ticks of 1/100 s).
function processCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
const selfCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const fail = (message) => {
  console.error(`terminal-npm-client: ${message}`);
  process.exit(1);
};

const socket = io(`${url}/terminal`, { transports: ["websocket"], auth: { token: opt("--token") } });
let phase = "connecting";
let received = 0;
let events = 0;
let tail = "";
let t0 = 0n;
let serverCpu0 = 0;
let clientCpu0 = 0;
const result = {};
const latencies = [];
let warmup = 20;
let waiting = false;
let keyAt = 0n;

setTimeout(() => fail("timeout"), 300000).unref();
socket.on("connect_error", (e) => fail(`connect: ${e.message}`));
socket.on("error", (message) => fail(`server error: ${message}`));
socket.on("connect", () => socket.emit("start", { node, cols: 200, rows: 50 }));
socket.on("ready", () => setTimeout(startThroughput, 700));
socket.on("exit", () => (phase === "exiting" ? finish() : fail("the shell exited early")));

function startThroughput() {
  phase = "throughput";
  serverCpu0 = processCpuSeconds(serverPid);
  clientCpu0 = selfCpuSeconds();
  t0 = process.hrtime.bigint();
  socket.emit("data", `cat '${file}'; echo __EN''D__\r`);
}

function nextKey() {
  if (phase !== "echo") return;
  waiting = true;
  keyAt = process.hrtime.bigint();
  socket.emit("data", "x");
}

socket.on("data", (text) => {
  if (phase === "throughput") {
    received += text.length; // ASCII output: characters = bytes
    ++events;
    tail = (tail + text.slice(-64)).slice(-128);
    if (!tail.includes("__END__")) return;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const scale = 100e6 / received;
    Object.assign(result, {
      mbps: (bytes / seconds / 1e6).toFixed(1),
      seconds: seconds.toFixed(3),
      received,
      server_cpu_per_100mb: ((processCpuSeconds(serverPid) - serverCpu0) * scale).toFixed(3),
      client_cpu_per_100mb: ((selfCpuSeconds() - clientCpu0) * scale).toFixed(3),
    });
    phase = "echo-setup";
    socket.emit("data", "cat >/dev/null\r");
    setTimeout(() => {
      phase = "echo";
      nextKey();
    }, 500);
  } else if (phase === "echo" && waiting && text.includes("x")) {
    const ms = Number(process.hrtime.bigint() - keyAt) / 1e6;
    waiting = false;
    if (warmup > 0) --warmup;
    else latencies.push(ms);
    if (latencies.length >= samples) {
      phase = "exiting";
      socket.emit("data", "\x03");
      setTimeout(() => socket.emit("data", "exit\r"), 200);
      setTimeout(finish, 3000);
    } else {
      setTimeout(nextKey, 2);
    }
  }
});

function finish() {
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  const extensions = socket.io.engine.transport.ws?._extensions ?? {};
  console.log(
    Object.entries({
      ...result,
      echo_p50_ms: pct(50).toFixed(3),
      echo_p99_ms: pct(99).toFixed(3),
      samples: latencies.length,
      bytes_per_event: Math.round(result.received / events),
      deflate: "permessage-deflate" in extensions ? 1 : 0,
    })
      .map(([k, v]) => `${k}=${v}`)
      .join(" "),
  );
  process.exit(0);
}
