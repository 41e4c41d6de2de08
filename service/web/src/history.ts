// The `history` event and request of docs/PROTOCOL.md (HistorySeries): read strictly (a malformed
// series is left out, never half used), and the per-node sparkline series it seeds, which the
// live `nodes` events then extend. Pure functions, no signals: live.ts owns the state.
import type { NodeData } from "./types";

export type HistoryRange = "hour" | "day";
export const RANGE_SECONDS: Record<HistoryRange, number> = { hour: 3600, day: 86400 };

/** One node's or guest's series as the wire carries it (PROTOCOL.md section 5). */
export interface HistorySeries {
  id: string;
  node: string;
  vmid?: number;
  range: HistoryRange;
  t: number[];
  cpu: (number | null)[];
  mem: (number | null)[];
  maxmem: number;
  netin: (number | null)[];
  netout: (number | null)[];
  diskread: (number | null)[];
  diskwrite: (number | null)[];
  temperature?: (number | null)[];
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** A column of numbers or nulls of length n; anything else in it is a gap (null). Missing: all gaps. */
function column(v: unknown, n: number, required: boolean): (number | null)[] | undefined {
  if (v === undefined && !required) return new Array<number | null>(n).fill(null);
  if (!Array.isArray(v) || v.length !== n) return undefined;
  const out = new Array<number | null>(n);
  for (let i = 0; i < n; i++) out[i] = finite(v[i]) ? v[i] : null;
  return out;
}

/** A HistorySeries from the wire, or null when it is not one (no id or node, times not
 *  increasing numbers, a column of another length than `t`). */
export function parseSeries(raw: unknown): HistorySeries | null {
  if (!isObj(raw)) return null;
  const { id, node, range, t } = raw;
  if (typeof id !== "string" || !/^(node|qemu|lxc)\/./.test(id)) return null;
  if (typeof node !== "string" || !node) return null;
  if (range !== "hour" && range !== "day") return null;
  if (!Array.isArray(t)) return null;
  const n = t.length;
  for (let i = 0; i < n; i++) {
    if (!finite(t[i]) || (i > 0 && t[i] <= t[i - 1])) return null;
  }
  const cpu = column(raw.cpu, n, true);
  const mem = column(raw.mem, n, true);
  const netin = column(raw.netin, n, false);
  const netout = column(raw.netout, n, false);
  const diskread = column(raw.diskread, n, false);
  const diskwrite = column(raw.diskwrite, n, false);
  if (!cpu || !mem || !netin || !netout || !diskread || !diskwrite) return null;
  const s: HistorySeries = {
    id,
    node,
    range,
    t: t.slice() as number[],
    cpu,
    mem,
    maxmem: finite(raw.maxmem) && raw.maxmem > 0 ? raw.maxmem : 0,
    netin,
    netout,
    diskread,
    diskwrite,
  };
  if (finite(raw.vmid)) s.vmid = raw.vmid;
  if (raw.temperature !== undefined) {
    const temperature = column(raw.temperature, n, true);
    if (!temperature) return null;
    s.temperature = temperature;
  }
  return s;
}

/** The `history` event's node series, by node name; null when the payload is not a history. */
export function parseHistoryEvent(payload: unknown): Map<string, HistorySeries> | null {
  if (!isObj(payload) || !Array.isArray(payload.series)) return null;
  if (payload.range !== undefined && payload.range !== "hour") return null;
  const out = new Map<string, HistorySeries>();
  for (const raw of payload.series) {
    const s = parseSeries(raw);
    if (s && s.id === `node/${s.node}` && !out.has(s.node)) out.set(s.node, s);
  }
  return out;
}

/** A node card's sparkline data: CPU and memory in percent, null where there is no sample. */
export interface Series {
  t: number[];
  cpu: (number | null)[];
  mem: (number | null)[];
}

/** Memory in percent of `maxmem`, null when either is unknown. */
export function memPercent(mem: number | null, maxmem: number): number | null {
  return mem === null || !(maxmem > 0) ? null : Math.min(100, Math.max(0, (mem / maxmem) * 100));
}
export function cpuPercent(cpu: number | null): number | null {
  return cpu === null ? null : Math.min(100, Math.max(0, cpu * 100));
}

/** Drops the points at or before `cutoff` (in place). */
export function trimBefore(s: Series, cutoff: number) {
  let drop = 0;
  while (drop < s.t.length && s.t[drop] <= cutoff) drop++;
  if (drop) {
    s.t.splice(0, drop);
    s.cpu.splice(0, drop);
    s.mem.splice(0, drop);
  }
}

/** The series a node's sparklines show once its history arrived, without the points older
 *  than `span` seconds before `now`. */
export function seed(h: HistorySeries, now: number, span: number): Series {
  const out: Series = { t: h.t.slice(), cpu: h.cpu.map(cpuPercent), mem: h.mem.map((m) => memPercent(m, h.maxmem)) };
  trimBefore(out, now - span);
  return out;
}

/** Appends one `nodes` sample taken at `t` (a gap while the node is not online); false when the
 *  series already has a sample at or after `t`. */
export function appendSample(s: Series, n: NodeData, t: number): boolean {
  if (s.t.length && s.t[s.t.length - 1] >= t) return false;
  const online = n.status === "online";
  s.t.push(t);
  s.cpu.push(online && finite(n.cpu) ? cpuPercent(n.cpu) : null);
  s.mem.push(online ? memPercent(finite(n.mem) ? n.mem : null, n.maxmem) : null);
  return true;
}
