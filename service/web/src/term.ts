// Loaded only when a terminal opens (dynamic import): xterm.js, its fit addon and its CSS.
// One /terminal socket per terminal, since the protocol has one session per socket.
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";
import { io, type Socket } from "socket.io-client";

/** Output xterm.js has been handed but not yet parsed; above this, output is dropped rather than
 *  buffered without bound (the protocol has no pause message; jarvisd's own flow control stops
 *  reading the shell while more than 1 MiB waits for this socket). */
const MAX_PENDING = 8 * 1024 * 1024;

export interface TerminalHooks {
  node: string;
  token: string;
  /** The session is open ("ready"), or ended: exit code, or an error message without exit. */
  onState: (s: { kind: "connecting" } | { kind: "ready"; host?: string } | { kind: "exited"; code: number } | { kind: "failed"; error: string }) => void;
  onAuthError: (reason: string) => void;
}

export interface TerminalHandle {
  reconnect(): void;
  focus(): void;
  fit(): void;
  dispose(): void;
}

export function openTerminal(el: HTMLElement, hooks: TerminalHooks): TerminalHandle {
  const term = new Terminal({
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    cursorBlink: true,
    scrollback: 5000,
    theme: {
      background: "#030c10",
      foreground: "#d7f6f8",
      cursor: "#2ee6f0",
      selectionBackground: "#1d5f6688",
      cyan: "#2ee6f0",
      brightCyan: "#7ff3f8",
    },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(el);

  let socket: Socket | null = null;
  let ended = false;
  let pendingBytes = 0;
  let dropped = 0;

  const safeFit = () => {
    if (el.clientWidth > 0 && el.clientHeight > 0) {
      try {
        fit.fit();
      } catch {
        /* not laid out yet */
      }
    }
  };
  safeFit();
  const ro = new ResizeObserver(() => safeFit());
  ro.observe(el);

  term.onData((d) => {
    if (socket && !ended) socket.emit("data", d);
  });
  term.onResize(({ cols, rows }) => {
    if (socket && !ended) socket.emit("resize", { cols, rows });
  });

  const connect = () => {
    ended = false;
    hooks.onState({ kind: "connecting" });
    const s = io("/terminal", { auth: { token: hooks.token }, forceNew: true, reconnection: false });
    socket = s;
    // `start` is emitted at once, not on "connect": socket.io-client sends what was emitted while
    // connecting before it runs the "connect" handlers, so keys typed before the connection was up
    // would reach jarvisd ahead of `start` and be lost. Emitted now, it is the first packet.
    safeFit();
    s.emit("start", { node: hooks.node, cols: term.cols, rows: term.rows }, (ack: { ok: boolean; error?: string }) => {
      if (ack && ack.ok === false && !ended) {
        ended = true;
        hooks.onState({ kind: "failed", error: ack.error || "the terminal could not be opened" });
      }
    });
    s.on("ready", (r: { host?: string }) => {
      hooks.onState({ kind: "ready", host: r?.host });
      term.focus();
    });
    s.on("data", (chunk: string) => {
      if (typeof chunk !== "string") return;
      if (pendingBytes + chunk.length > MAX_PENDING) {
        dropped += chunk.length;
        return;
      }
      if (dropped) {
        term.write(`\r\n\x1b[33m[${dropped} bytes of output dropped: the terminal could not keep up]\x1b[0m\r\n`);
        dropped = 0;
      }
      pendingBytes += chunk.length;
      term.write(chunk, () => {
        pendingBytes -= chunk.length;
      });
    });
    s.on("exit", (x: { code?: number }) => {
      ended = true;
      const code = typeof x?.code === "number" ? x.code : -1;
      term.write("\r\n\x1b[2m— session ended —\x1b[0m\r\n");
      hooks.onState({ kind: "exited", code });
      s.disconnect();
    });
    s.on("error", (msg: unknown) => {
      const text = typeof msg === "string" ? msg : "terminal error";
      term.write(`\r\n\x1b[31m${text.replace(/[\x00-\x1f\x7f]/g, " ")}\x1b[0m\r\n`);
      // Input problems keep the session; SSH problems end it (no exit follows).
      if (!/^(data:|resize:|input )/.test(text) && !ended) {
        ended = true;
        hooks.onState({ kind: "failed", error: text });
      }
    });
    s.on("connect_error", (err: Error & { data?: { reason?: string } }) => {
      if (err?.data?.reason) hooks.onAuthError(err.data.reason);
      else if (!ended) {
        ended = true;
        hooks.onState({ kind: "failed", error: "Cannot reach the Jarvis service." });
      }
    });
    s.on("disconnect", (reason) => {
      if (reason === "io client disconnect" || ended) return;
      ended = true;
      hooks.onState({ kind: "failed", error: "Connection lost." });
    });
  };

  const close = () => {
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
      socket = null;
    }
  };

  connect();

  return {
    reconnect() {
      close();
      pendingBytes = 0;
      dropped = 0;
      term.reset();
      connect();
    },
    focus: () => term.focus(),
    fit: safeFit,
    dispose() {
      ro.disconnect();
      close();
      term.dispose();
    },
  };
}
