// Live data: one Socket.IO connection carrying /cluster and /events (the public protocol of
// docs/PROTOCOL.md), held in Solid signals. Guests are kept as a plain array plus a Map by
// vmid, with lowercase search keys computed once per snapshot, so a 5000-guest snapshot applies
// in a few milliseconds and only the visible rows (see Guests.tsx) touch the DOM.
import { batch, createSignal } from "solid-js";
import { io, type Socket } from "socket.io-client";
import { EXPIRED_NOTICE, INVALID_NOTICE, logout } from "./session";
import type { JarvisEvent, NodeData, QuorumData, StorageData, TemperatureData, VMData } from "./types";
import { appendSample, parseHistoryEvent, parseSeries, seed, trimBefore, type HistoryRange, type HistorySeries, type Series } from "./history";

export const EVENT_CAP = 500;
export const HISTORY_SECONDS = 3600;
const STALE_AFTER_MS = 30_000;

const [nodes, setNodes] = createSignal<NodeData[]>([]);
const [guests, setGuests] = createSignal<VMData[]>([]);
const [guestById, setGuestById] = createSignal<Map<number, VMData>>(new Map());
const [storage, setStorage] = createSignal<StorageData[]>([]);
const [quorum, setQuorum] = createSignal<QuorumData | null>(null);
const [temps, setTemps] = createSignal<Map<string, Record<string, number>>>(new Map());
const [events, setEvents] = createSignal<JarvisEvent[]>([]);
const [connected, setConnected] = createSignal(false);
const [reconnecting, setReconnecting] = createSignal(false);
const [lastUpdate, setLastUpdate] = createSignal(0);
const [pollFailing, setPollFailing] = createSignal<string[]>([]);
const [now, setNow] = createSignal(Date.now());
/** Bumped whenever the per-node history below grows. */
const [historyVersion, setHistoryVersion] = createSignal(0);

export { nodes, guests, guestById, storage, quorum, temps, events, connected, reconnecting, lastUpdate, pollFailing, now, historyVersion };

/** Lowercase search text and name per guest, built on first use (a search or a sort by name)
 *  and reused while the guest's name, node, status, type and tags stay the same, so a snapshot
 *  whose guests did not change costs no string building at all. */
interface KeyEntry {
  name: string;
  node: string;
  status: string;
  type: string;
  tags: string[];
  key: string;
  nameLc: string;
}
const keyCache = new Map<number, KeyEntry>();
function sameTags(a: string[], b: string[] | undefined): boolean {
  const bb = b || [];
  if (a.length !== bb.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== bb[i]) return false;
  return true;
}
function keyEntry(g: VMData): KeyEntry {
  let e = keyCache.get(g.vmid);
  if (!e || e.name !== g.name || e.node !== g.node || e.status !== g.status || e.type !== g.type || !sameTags(e.tags, g.tags)) {
    const tags = g.tags || [];
    const nameLc = (g.name || "").toLowerCase();
    e = {
      name: g.name,
      node: g.node,
      status: g.status,
      type: g.type,
      tags,
      nameLc,
      key: `${g.vmid} ${nameLc} ${g.node} ${g.status} ${g.type === "lxc" ? "ct" : "vm"} ${tags.join(" ")}`.toLowerCase(),
    };
    keyCache.set(g.vmid, e);
  }
  return e;
}
export const searchKey = (g: VMData) => keyEntry(g).key;
export const lowerName = (g: VMData) => keyEntry(g).nameLc;

/** CPU and memory (percent, null = no sample) per node for the last hour: seeded from the
 *  `history` event jarvisd sends after the first snapshots, then extended from `nodes`. */
export const history = new Map<string, Series>();
/** Seconds the server's clock is ahead of this one, estimated from the `history` event's newest
 *  sample: live samples are stamped in the server's time so they continue its series. */
let clockOffset = 0;
/** Now, in the server's unix seconds. */
export const serverNow = () => Date.now() / 1000 + clockOffset;

/** Progress of a tool running on a guest, shown in its row. */
export interface Pending {
  label: string;
  detail?: string;
}
const [pending, setPending] = createSignal<Map<number, Pending>>(new Map());
export { pending };
export function setGuestPending(vmid: number, p: Pending | null) {
  const next = new Map(pending());
  if (p) next.set(vmid, p);
  else next.delete(vmid);
  setPending(next);
}

export const VERB: Record<string, string> = {
  start: "starting…",
  shutdown: "shutting down…",
  stop: "stopping…",
  restart: "restarting…",
};

export function applyGuests(list: VMData[]) {
  performance.mark("vms-apply-start");
  const byId = new Map<number, VMData>();
  for (let i = 0; i < list.length; i++) byId.set(list[i].vmid, list[i]);
  if (keyCache.size > 2 * list.length + 64) keyCache.clear(); // guests went away
  batch(() => {
    setGuestById(byId);
    setGuests(list);
    markFresh();
  });
  performance.mark("vms-applied");
  performance.measure("vms-apply", "vms-apply-start", "vms-applied");
}

function markFresh() {
  setLastUpdate(Date.now());
}

function recordHistory(list: NodeData[]) {
  const t = Math.floor(serverNow());
  const cutoff = t - HISTORY_SECONDS;
  for (const n of list) {
    if (!n || typeof n.node !== "string") continue;
    let s = history.get(n.node);
    if (!s) history.set(n.node, (s = { t: [], cpu: [], mem: [] }));
    if (appendSample(s, n, t)) trimBefore(s, cutoff);
  }
  setHistoryVersion((v) => v + 1);
}

/** The `history` event (sent after the first snapshots of every connection, reconnects too):
 *  each node's series replaces what the map holds, since it already has every poll the client
 *  sampled, so a reconnect never doubles points. */
export function applyHistory(payload: unknown) {
  const byNode = parseHistoryEvent(payload);
  if (!byNode) return;
  // The newest sample is the server's latest poll: its time is "now" in the server's clock, so
  // the next live sample lands after it whatever this machine's clock says.
  let newest = -Infinity;
  for (const h of byNode.values()) if (h.t.length) newest = Math.max(newest, h.t[h.t.length - 1]);
  if (Number.isFinite(newest)) clockOffset = newest - Date.now() / 1000;
  const now = serverNow();
  for (const [node, h] of byNode) history.set(node, seed(h, now, HISTORY_SECONDS));
  setHistoryVersion((v) => v + 1);
}

let clusterSocket: Socket | null = null;

/** A longer or other series for one node or guest (`history` with ack): its HistorySeries, or
 *  why there is none in words. */
export async function requestHistory(
  id: string,
  range: HistoryRange,
  timeoutMs = 15_000,
): Promise<{ ok: true; series: HistorySeries } | { ok: false; error: string }> {
  const s = clusterSocket;
  if (!s || !s.connected) return { ok: false, error: "Not connected to the Jarvis service." };
  let answer: unknown;
  try {
    answer = await s.timeout(timeoutMs).emitWithAck("history", { id, range });
  } catch {
    return { ok: false, error: `No answer from the Jarvis service within ${Math.round(timeoutMs / 1000)} s.` };
  }
  const a = answer as { ok?: unknown; series?: unknown; error?: unknown } | null;
  if (a && a.ok === true) {
    const series = parseSeries(a.series);
    if (series && series.id === id) return { ok: true, series };
    return { ok: false, error: "The service sent a history this page cannot read." };
  }
  if (a && a.ok === false && typeof a.error === "string" && a.error) return { ok: false, error: a.error };
  return { ok: false, error: "The service sent an answer this page cannot read." };
}

function vmidOf(e: JarvisEvent): number | undefined {
  const d = e.data;
  const v = d.target?.vmid ?? d.args?.vmid ?? (d.kind === "task" && d.id ? Number(d.id) : undefined);
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

const TOOL_VERB: Record<string, string> = { start: "start", shutdown: "shutdown", stop: "stop", restart: "restart" };

function onEvent(e: JarvisEvent) {
  if (!e || typeof e !== "object" || !e.data) return;
  const list = events();
  const next = [e, ...list];
  if (next.length > EVENT_CAP) next.length = EVENT_CAP;
  setEvents(next);

  const d = e.data;
  if (d.kind === "poll" && typeof d.source === "string") {
    const failing = pollFailing().filter((s) => s !== d.source);
    if (d.ok === false && d.source !== "temperature") failing.push(d.source);
    setPollFailing(failing);
  }
  const vmid = vmidOf(e);
  if (vmid === undefined) return;
  if (d.kind === "tool" && typeof d.tool === "string") {
    const verb = TOOL_VERB[d.tool.split("_")[0]];
    if (!verb) return;
    if (d.status === "started") setGuestPending(vmid, { label: VERB[verb] });
    else setGuestPending(vmid, null);
  } else if (d.kind === "task" && d.status === "running") {
    const p = pending().get(vmid);
    if (p) setGuestPending(vmid, { ...p, detail: `task ${d.taskType ?? ""} running`.replace("  ", " ") });
  }
}

let sockets: Socket[] = [];
let ticker: number | undefined;

/** Connects /cluster and /events with the token; returns the function that disconnects. */
export function startLive(token: string): () => void {
  stopLive();
  const cluster = io("/cluster", { auth: { token }, forceNew: true });
  const ev = cluster.io.socket("/events", { auth: { token } });
  sockets = [cluster, ev];
  clusterSocket = cluster;

  const authFailed = (err: Error & { data?: { reason?: string } }) => {
    const reason = err?.data?.reason;
    if (reason) logout(reason === "expired" ? EXPIRED_NOTICE : INVALID_NOTICE);
  };
  for (const s of sockets) {
    s.on("connect_error", authFailed);
    s.on("disconnect", (reason) => {
      if (s === cluster) setConnected(false);
      if (reason === "io client disconnect") return;
      if (reason === "io server disconnect") s.connect();
      setReconnecting(true);
    });
  }
  cluster.on("connect", () => batch(() => {
    setConnected(true);
    setReconnecting(false);
  }));
  cluster.io.on("reconnect_attempt", () => setReconnecting(true));
  cluster.io.on("reconnect", () => setReconnecting(false));

  cluster.on("nodes", (list: NodeData[]) => {
    if (!Array.isArray(list)) return;
    batch(() => {
      setNodes(list);
      recordHistory(list);
      markFresh();
    });
  });
  cluster.on("history", (payload: unknown) => batch(() => applyHistory(payload)));
  cluster.on("vms", (list: VMData[]) => {
    if (Array.isArray(list)) applyGuests(list);
  });
  cluster.on("storage", (list: StorageData[]) => {
    if (Array.isArray(list)) setStorage(list);
  });
  cluster.on("quorum", (q: QuorumData) => {
    if (q && typeof q === "object") setQuorum(q);
  });
  cluster.on("temperature", (list: TemperatureData[]) => {
    if (!Array.isArray(list)) return;
    const m = new Map(temps());
    for (const t of list) if (t && typeof t.node === "string") m.set(t.node, t.zones || {});
    setTemps(m);
  });
  ev.on("event", onEvent);
  ev.on("alert", onEvent);

  ticker = window.setInterval(() => setNow(Date.now()), 1000);
  return stopLive;
}

export function stopLive() {
  for (const s of sockets) {
    s.removeAllListeners();
    s.io.removeAllListeners();
    s.disconnect();
  }
  sockets = [];
  clusterSocket = null;
  clockOffset = 0;
  if (ticker !== undefined) window.clearInterval(ticker);
  ticker = undefined;
  batch(() => {
    setConnected(false);
    setReconnecting(false);
    setNodes([]);
    setGuests([]);
    setGuestById(new Map());
    setStorage([]);
    setQuorum(null);
    setTemps(new Map());
    setEvents([]);
    setPollFailing([]);
    setPending(new Map());
    setLastUpdate(0);
  });
  keyCache.clear();
  history.clear();
}

/** Live while connected, a poll is healthy and data arrived in the last 30 s. */
export function isLive(): boolean {
  return connected() && pollFailing().length === 0 && lastUpdate() > 0 && now() - lastUpdate() < STALE_AFTER_MS;
}

/** Proxmox power actions per guest type (PROTOCOL.md section 4). */
export type Action = "start" | "shutdown" | "stop" | "restart";
export function toolFor(action: Action, g: VMData): string {
  return `${action}_${g.type === "lxc" ? "container" : "vm"}`;
}
