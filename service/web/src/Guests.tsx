// The guests table: role table with one row per guest, virtualised (only the visible rows plus
// an overscan are in the DOM, keyed by vmid), filtered and sorted by a memoised index of vmids.
import { For, Index, Show, createMemo, createSignal, onCleanup, onMount } from "solid-js";
import { guestById, guests, lowerName, nodes, pending, searchKey, setGuestPending, toolFor, VERB, type Action } from "./live";
import type { VMData } from "./types";
import { api } from "./session";
import { bytes, duration, pct } from "./format";
import ConfirmDialog from "./ConfirmDialog";
import { openHistory } from "./historyDialog";

export const ROW_HEIGHT = 40;
const OVERSCAN = 8;

type SortKey = "vmid" | "name" | "type" | "node" | "status" | "cpu" | "mem" | "uptime" | "tags";
interface Column {
  key: SortKey | "actions";
  label: string;
  cls: string;
}
const COLUMNS: Column[] = [
  { key: "vmid", label: "VMID", cls: "c-vmid" },
  { key: "name", label: "Name", cls: "c-name" },
  { key: "type", label: "Type", cls: "c-type" },
  { key: "node", label: "Node", cls: "c-node" },
  { key: "status", label: "Status", cls: "c-status" },
  { key: "cpu", label: "CPU", cls: "c-cpu" },
  { key: "mem", label: "Memory", cls: "c-mem" },
  { key: "uptime", label: "Uptime", cls: "c-uptime" },
  { key: "tags", label: "Tags", cls: "c-tags" },
  { key: "actions", label: "Actions", cls: "c-actions" },
];

function sortValue(g: VMData, key: SortKey): number | string {
  switch (key) {
    case "vmid":
      return g.vmid;
    case "name":
      return lowerName(g);
    case "type":
      return g.type;
    case "node":
      return g.node;
    case "status":
      return g.status;
    case "cpu":
      return g.status === "running" ? g.cpu : -1;
    case "mem":
      return g.mem;
    case "uptime":
      return g.uptime;
    case "tags":
      return (g.tags || []).join(",").toLowerCase();
  }
}

const ACTIONS: { action: Action; label: string }[] = [
  { action: "start", label: "Start" },
  { action: "shutdown", label: "Shutdown" },
  { action: "stop", label: "Stop" },
  { action: "restart", label: "Restart" },
];

const typeLabel = (g: VMData) => (g.type === "lxc" ? "CT" : "VM");

/** Opens the guest's charts (the history dialog). */
export function showGuestHistory(g: VMData) {
  openHistory({ id: `${g.type === "lxc" ? "lxc" : "qemu"}/${g.vmid}`, title: `${g.name} (${g.vmid})`, kind: `${typeLabel(g)} on ${g.node}` });
}

export default function Guests() {
  const [search, setSearch] = createSignal("");
  const [nodeFilter, setNodeFilter] = createSignal("");
  const [statusFilter, setStatusFilter] = createSignal("");
  const [typeFilter, setTypeFilter] = createSignal("");
  const [sortKey, setSortKey] = createSignal<SortKey>("vmid");
  const [sortDir, setSortDir] = createSignal<1 | -1>(1);
  const [failure, setFailure] = createSignal("");
  const [confirm, setConfirm] = createSignal<{ g: VMData; action: Action } | null>(null);

  const protectedNodes = createMemo(() => {
    const s = new Set<string>();
    for (const n of nodes()) if (n.protected) s.add(n.node);
    return s;
  });

  const sameList = <T,>(a: T[], b: T[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const nodeNames = createMemo(() => nodes().map((n) => n.node).sort(), undefined, { equals: sameList });
  const statuses = createMemo(
    () => {
      const s = new Set<string>();
      for (const g of guests()) s.add(g.status);
      return [...s].sort();
    },
    undefined,
    { equals: sameList },
  );

  /** The vmids that pass the filters, in display order. */
  const order = createMemo(() => {
    const list = guests();
    const q = search().trim().toLowerCase();
    const words = q ? q.split(/\s+/) : [];
    const nf = nodeFilter();
    const sf = statusFilter();
    const tf = typeFilter();
    const key = sortKey();
    const dir = sortDir();
    const rows: { v: number | string; id: number }[] = [];
    for (let i = 0; i < list.length; i++) {
      const g = list[i];
      if (nf && g.node !== nf) continue;
      if (sf && g.status !== sf) continue;
      if (tf && g.type !== tf) continue;
      if (words.length) {
        const k = searchKey(g);
        let ok = true;
        for (const w of words) if (!k.includes(w)) { ok = false; break; }
        if (!ok) continue;
      }
      rows.push({ v: sortValue(g, key), id: g.vmid });
    }
    rows.sort((a, b) => (a.v < b.v ? -dir : a.v > b.v ? dir : a.id - b.id));
    const out = new Array<number>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = rows[i].id;
    return out;
  }, undefined, { equals: sameList });

  // Virtual window.
  let box!: HTMLDivElement;
  const [scrollTop, setScrollTop] = createSignal(0);
  const [viewport, setViewport] = createSignal(480);
  onMount(() => {
    const ro = new ResizeObserver(() => setViewport(box.clientHeight || 480));
    ro.observe(box);
    onCleanup(() => ro.disconnect());
  });
  const first = createMemo(() => Math.max(0, Math.floor(scrollTop() / ROW_HEIGHT) - OVERSCAN));
  const visible = createMemo(
    () => {
      const o = order();
      const last = Math.min(o.length, Math.ceil((scrollTop() + viewport()) / ROW_HEIGHT) + OVERSCAN);
      return o.slice(first(), last);
    },
    undefined,
    { equals: sameList },
  );

  const toggleSort = (k: SortKey) => {
    if (sortKey() === k) setSortDir(sortDir() === 1 ? -1 : 1);
    else {
      setSortKey(k);
      setSortDir(k === "cpu" || k === "mem" || k === "uptime" ? -1 : 1);
    }
  };

  // Actions.
  let returnFocus: HTMLElement | null = null;
  const ask = (g: VMData, action: Action, ev: MouseEvent) => {
    setFailure("");
    if (action === "start") {
      void run(g, action);
      return;
    }
    returnFocus = ev.currentTarget as HTMLElement;
    setConfirm({ g, action });
  };
  const closeDialog = () => {
    setConfirm(null);
    const el = returnFocus;
    returnFocus = null;
    queueMicrotask(() => {
      if (el && el.isConnected && !(el as HTMLButtonElement).disabled) el.focus();
      else box.focus();
    });
  };
  const run = async (g: VMData, action: Action) => {
    const label = ACTIONS.find((a) => a.action === action)!.label;
    setGuestPending(g.vmid, { label: VERB[action] });
    const body: Record<string, unknown> = { tool: toolFor(action, g), args: { node: g.node, vmid: g.vmid } };
    if (action !== "start") body.confirmed = true;
    const r = await api<{ success: boolean }>("/api/tools/execute", { method: "POST", body: JSON.stringify(body) });
    setGuestPending(g.vmid, null);
    if (!r.ok && r.status !== 401) setFailure(`${label} ${g.name} (${g.vmid}) failed: ${r.error}`);
  };

  const reason = (g: VMData, action: Action): string => {
    if (g.protected) {
      return protectedNodes().has(g.node)
        ? `Node ${g.node} is protected: actions on its guests are refused`
        : `${g.name} (${g.vmid}) is protected: actions on it are refused`;
    }
    if (pending().has(g.vmid)) return "An action is already running on this guest";
    if (g.template) return "Templates cannot be started or stopped";
    if (g.lock) return `The guest is locked (${g.lock})`;
    if (action === "start") return g.status === "stopped" ? "" : `The guest is ${g.status}`;
    if (action === "stop") return g.status === "running" || g.status === "paused" ? "" : `The guest is ${g.status}`;
    return g.status === "running" ? "" : `The guest is ${g.status}`;
  };

  const Row = (p: { vmid: number; index: () => number }) => {
    const g = createMemo(() => guestById().get(p.vmid));
    const busy = () => pending().get(p.vmid);
    return (
      <Show when={g()}>
        {(gg) => (
          <div
            role="row"
            class={`tr ${gg().status}`}
            aria-rowindex={first() + p.index() + 2}
            aria-label={`${gg().name} (${gg().vmid})`}
            style={{ transform: `translateY(${(first() + p.index()) * ROW_HEIGHT}px)` }}
            onClick={(e) => {
              // A click on the row (not on one of its buttons) opens the guest's charts.
              if (!(e.target as HTMLElement).closest("button, a, input, select")) showGuestHistory(gg());
            }}
          >
            <div role="cell" class="td c-vmid num">{gg().vmid}</div>
            <div role="cell" class="td c-name" title={gg().name}>
              <button
                type="button"
                class="nm link"
                aria-label={`${gg().name}: charts`}
                title={`Charts of ${gg().name} (${gg().vmid}): CPU, memory, network, disk I/O`}
                onClick={() => showGuestHistory(gg())}
              >
                {gg().name}
              </button>
              <Show when={gg().lock}>
                <span class="pill small" title={`locked: ${gg().lock}`}>
                  {gg().lock}
                </span>
              </Show>
              <Show when={gg().template}>
                <span class="pill small">template</span>
              </Show>
            </div>
            <div role="cell" class="td c-type">{typeLabel(gg())}</div>
            <div role="cell" class="td c-node">{gg().node}</div>
            <div role="cell" class="td c-status">
              <Show when={busy()} fallback={<span class={`st ${gg().status}`}>{gg().status}</span>}>
                <span class="busy" title={busy()!.detail}>
                  <span class="spinner" aria-hidden="true" />
                  {busy()!.label}
                </span>
              </Show>
            </div>
            <div role="cell" class="td c-cpu num">{gg().status === "running" ? pct(gg().cpu) : "—"}</div>
            <div role="cell" class="td c-mem num">
              {gg().status === "running" ? `${bytes(gg().mem)} / ${bytes(gg().maxmem)}` : bytes(gg().maxmem)}
            </div>
            <div role="cell" class="td c-uptime num">{duration(gg().uptime)}</div>
            <div role="cell" class="td c-tags" title={(gg().tags || []).join(", ")}>
              <Index each={gg().tags || []}>{(t) => <span class="tag">{t()}</span>}</Index>
            </div>
            <div role="cell" class="td c-actions">
              <Index each={ACTIONS}>
                {(a) => {
                  const why = createMemo(() => reason(gg(), a().action));
                  const id = () => `why-${gg().vmid}-${a().action}`;
                  return (
                    <>
                      <button
                        type="button"
                        class={`act ${a().action === "start" ? "" : "red"}`}
                        disabled={!!why()}
                        title={why() || `${a().label} ${gg().name}`}
                        aria-describedby={why() ? id() : undefined}
                        onClick={(e) => ask(gg(), a().action, e)}
                      >
                        {a().label}
                      </button>
                      <Show when={why()}>
                        {/* hidden: still read as the button's description, kept out of the cell's name */}
                        <span id={id()} hidden>
                          {why()}
                        </span>
                      </Show>
                    </>
                  );
                }}
              </Index>
              <Show when={gg().protected}>
                <span class="pill warn small" title={reason(gg(), "stop")}>
                  protected
                </span>
              </Show>
            </div>
          </div>
        )}
      </Show>
    );
  };

  return (
    <section class="panel guests" aria-labelledby="guests-title">
      <div class="panel-head">
        <h2 id="guests-title">Guests</h2>
        <span class="count num">
          {order().length} of {guests().length}
        </span>
      </div>
      <div class="filters">
        <label class="search">
          <span class="lbl">Search</span>
          <input
            type="search"
            placeholder="name, vmid, tag…"
            value={search()}
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
        </label>
        <label>
          <span class="lbl">Node filter</span>
          <select value={nodeFilter()} onChange={(e) => setNodeFilter(e.currentTarget.value)}>
            <option value="">All nodes</option>
            <For each={nodeNames()}>{(n) => <option value={n}>{n}</option>}</For>
          </select>
        </label>
        <label>
          <span class="lbl">Status filter</span>
          <select value={statusFilter()} onChange={(e) => setStatusFilter(e.currentTarget.value)}>
            <option value="">All statuses</option>
            <For each={statuses()}>{(s) => <option value={s}>{s}</option>}</For>
          </select>
        </label>
        <label>
          <span class="lbl">Type filter</span>
          <select value={typeFilter()} onChange={(e) => setTypeFilter(e.currentTarget.value)}>
            <option value="">All types</option>
            <option value="qemu">VM</option>
            <option value="lxc">CT</option>
          </select>
        </label>
      </div>
      <Show when={failure()}>
        <div class="failure" role="alert">
          <span>{failure()}</span>
          <button type="button" class="ghost small" onClick={() => setFailure("")}>
            Dismiss
          </button>
        </div>
      </Show>
      <div
        class="table-box"
        ref={box}
        tabindex="0"
        role="region"
        aria-label="Guest list (scrollable)"
        onScroll={() => setScrollTop(box.scrollTop)}
      >
        <div role="table" class="table" aria-label="Guests" aria-rowcount={order().length + 1}>
          <div role="rowgroup" class="thead">
            <div role="row" class="tr head" aria-rowindex="1">
              <For each={COLUMNS}>
                {(c) => (
                  <div
                    role="columnheader"
                    class={`th ${c.cls}`}
                    aria-sort={
                      c.key === "actions"
                        ? undefined
                        : sortKey() === c.key
                          ? sortDir() === 1
                            ? "ascending"
                            : "descending"
                          : "none"
                    }
                  >
                    <Show when={c.key !== "actions"} fallback={c.label}>
                      <button type="button" class="sort" onClick={() => toggleSort(c.key as SortKey)}>
                        {c.label}
                        <span class="arrow" aria-hidden="true">
                          {sortKey() === c.key ? (sortDir() === 1 ? "▲" : "▼") : ""}
                        </span>
                      </button>
                    </Show>
                  </div>
                )}
              </For>
            </div>
          </div>
          <div role="rowgroup" class="tbody" style={{ height: `${order().length * ROW_HEIGHT}px` }}>
            <For each={visible()}>{(vmid, i) => <Row vmid={vmid} index={i} />}</For>
          </div>
        </div>
        <Show when={guests().length && !order().length}>
          <p class="empty">No guest matches.</p>
        </Show>
      </div>
      <Show when={confirm()}>
        {(c) => (
          <ConfirmDialog
            g={c().g}
            action={c().action}
            label={ACTIONS.find((a) => a.action === c().action)!.label}
            onCancel={closeDialog}
            onConfirm={() => {
              const { g, action } = c();
              closeDialog();
              void run(g, action);
            }}
          />
        )}
      </Show>
    </section>
  );
}
