// The history of one guest or node in a dialog: CPU, memory, network and disk I/O (and a node's
// temperature) for the last hour or 24 h, asked with the `history` request (ack) of
// docs/PROTOCOL.md. While it is open, the hour's CPU and memory follow the live `vms`/`nodes`
// events, and the whole series is asked again every minute (every 5 in the 24 h view) for the
// rest; loading and errors are said in words, with a retry.
import { Show, createEffect, createMemo, createSignal, on, onCleanup, onMount } from "solid-js";
import { Portal } from "solid-js/web";
import Chart, { type ChartData } from "./Chart";
import { RANGE_SECONDS, cpuPercent, memPercent, type HistoryRange, type HistorySeries } from "./history";
import { guestById, nodes, requestHistory, serverNow } from "./live";
import { bytes } from "./format";

import type { HistoryTarget } from "./historyDialog";

const REFRESH_MS: Record<HistoryRange, number> = { hour: 60_000, day: 300_000 };

type State =
  | { kind: "loading" }
  | { kind: "error"; error: string }
  | { kind: "ready"; series: HistorySeries };

interface Tail {
  t: number[];
  cpu: (number | null)[];
  mem: (number | null)[];
}

const percent = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)}%`;
const rate = (v: number) => `${bytes(v)}/s`;
const celsius = (v: number) => `${v.toFixed(0)} °C`;

export default function HistoryDetail(props: { target: HistoryTarget; onClose: () => void }) {
  const [range, setRange] = createSignal<HistoryRange>("hour");
  const [state, setState] = createSignal<State>({ kind: "loading" });
  const [tail, setTail] = createSignal<Tail>({ t: [], cpu: [], mem: [] });
  const [refreshing, setRefreshing] = createSignal(false);
  let seq = 0;
  let timer: number | undefined;

  const load = async (showLoading: boolean) => {
    const mine = ++seq;
    const r = range();
    if (showLoading) setState({ kind: "loading" });
    setRefreshing(true);
    const answer = await requestHistory(props.target.id, r);
    if (mine !== seq) return; // a newer request (another range, a retry) took over
    setRefreshing(false);
    if (answer.ok) {
      const last = answer.series.t.length ? answer.series.t[answer.series.t.length - 1] : -Infinity;
      const old = tail();
      const keep = old.t.findIndex((t) => t > last);
      setTail(keep < 0 ? { t: [], cpu: [], mem: [] } : { t: old.t.slice(keep), cpu: old.cpu.slice(keep), mem: old.mem.slice(keep) });
      setState({ kind: "ready", series: answer.series });
    } else if (showLoading || state().kind !== "ready") {
      setState({ kind: "error", error: answer.error });
    }
    // A failed refresh keeps the charts; the next one tries again.
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void load(false), REFRESH_MS[r]);
  };
  createEffect(
    on(range, () => {
      setTail({ t: [], cpu: [], mem: [] });
      void load(true);
    }),
  );
  onCleanup(() => {
    seq++;
    window.clearTimeout(timer);
  });

  // The live samples of this guest or node, appended to the hour's CPU and memory.
  const isNode = () => props.target.id.startsWith("node/");
  const liveSample = createMemo(() => {
    const name = props.target.id.slice(props.target.id.indexOf("/") + 1);
    if (isNode()) {
      const n = nodes().find((x) => x.node === name);
      if (!n) return null;
      const up = n.status === "online";
      return { cpu: up ? cpuPercent(n.cpu) : null, mem: up ? memPercent(n.mem, n.maxmem) : null };
    }
    const g = guestById().get(Number(name));
    if (!g) return null;
    const up = g.status === "running";
    return { cpu: up ? cpuPercent(g.cpu) : null, mem: up ? memPercent(g.mem, g.maxmem) : null };
  });
  createEffect(
    on(liveSample, (s) => {
      const st = state();
      if (!s || range() !== "hour" || st.kind !== "ready") return;
      const t = Math.floor(serverNow());
      const cur = tail();
      const lastSeries = st.series.t.length ? st.series.t[st.series.t.length - 1] : -Infinity;
      const last = cur.t.length ? cur.t[cur.t.length - 1] : lastSeries;
      if (t <= last) return;
      setTail({ t: [...cur.t, t], cpu: [...cur.cpu, s.cpu], mem: [...cur.mem, s.mem] });
    }, { defer: true }),
  );

  const series = () => {
    const s = state();
    return s.kind === "ready" ? s.series : null;
  };
  // Memory is charted in percent of the latest limit when there is one, in bytes otherwise.
  const memLimit = () => series()?.maxmem ?? 0;
  const cpuData = createMemo<ChartData>(() => {
    const s = series();
    if (!s) return [[], []];
    const tl = tail();
    return [[...s.t, ...tl.t], [...s.cpu.map(cpuPercent), ...tl.cpu]];
  });
  const memData = createMemo<ChartData>(() => {
    const s = series();
    if (!s) return [[], []];
    const tl = tail();
    const limit = s.maxmem;
    // The tail is in percent (from the live row's own limit); without a limit it is left out.
    if (!(limit > 0)) return [s.t, s.mem];
    return [[...s.t, ...tl.t], [...s.mem.map((m) => memPercent(m, limit)), ...tl.mem]];
  });
  const netData = createMemo<ChartData>(() => {
    const s = series();
    return s ? [s.t, s.netin, s.netout] : [[], [], []];
  });
  const diskData = createMemo<ChartData>(() => {
    const s = series();
    return s ? [s.t, s.diskread, s.diskwrite] : [[], [], []];
  });
  const tempData = createMemo<ChartData | null>(() => {
    const s = series();
    if (!s || !s.temperature || !s.temperature.some((v) => v !== null)) return null;
    return [s.t, s.temperature];
  });
  const span = () => RANGE_SECONDS[range()];
  const end = () => {
    const d = cpuData()[0];
    return Math.max(d.length ? d[d.length - 1] : 0, serverNow());
  };

  // Modal behaviour, as ConfirmDialog: the page inert, focus kept inside, Escape closes.
  let dialog!: HTMLDivElement;
  let closeButton!: HTMLButtonElement;
  const app = () => document.getElementById("app");
  onMount(() => {
    app()?.setAttribute("inert", "");
    closeButton.focus();
  });
  onCleanup(() => app()?.removeAttribute("inert"));
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      props.onClose();
      return;
    }
    if (e.key !== "Tab") return;
    const focusable = [...dialog.querySelectorAll<HTMLElement>("button:not([disabled])")];
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  const RangeButton = (p: { r: HistoryRange; label: string; name: string }) => (
    <button
      type="button"
      class={`small ${range() === p.r ? "on" : ""}`}
      aria-pressed={range() === p.r}
      aria-label={p.name}
      onClick={() => setRange(p.r)}
    >
      {p.label}
    </button>
  );

  return (
    <Portal>
      <div class="backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
        <div
          ref={dialog}
          class="dialog panel history"
          role="dialog"
          aria-modal="true"
          aria-labelledby="history-title"
          onKeyDown={onKeyDown}
        >
          <div class="history-head">
            <h2 id="history-title">
              {props.target.title} <span class="sub">{props.target.kind}</span>
            </h2>
            <div class="range" role="group" aria-label="Range">
              <RangeButton r="hour" label="1 h" name="Last hour" />
              <RangeButton r="day" label="24 h" name="Last 24 hours" />
            </div>
            <Show when={refreshing() && state().kind === "ready"}>
              <span class="spinner" aria-hidden="true" title="Updating" />
            </Show>
            <button type="button" class="ghost small close" ref={closeButton} onClick={() => props.onClose()}>
              Close
            </button>
          </div>
          <Show when={state().kind === "loading"}>
            <p class="history-note" role="status">
              <span class="spinner" aria-hidden="true" /> Loading the {range() === "hour" ? "last hour" : "last 24 hours"}…
            </p>
          </Show>
          <Show when={state().kind === "error" ? (state() as { error: string }).error : ""}>
            {(error) => (
              <div class="failure" role="alert">
                <span>History unavailable: {error()}</span>
                <button type="button" class="small" onClick={() => void load(true)}>
                  Retry
                </button>
              </div>
            )}
          </Show>
          <Show when={series()}>
            <Show when={series()!.t.length} fallback={<p class="history-note">No samples in this range yet.</p>}>
              <div class="charts">
                <Chart title="CPU" lines={[{ label: "CPU", color: "#2ee6f0" }]} data={cpuData} span={span()} end={end} format={percent} max={100} />
                <Show
                  when={memLimit() > 0}
                  fallback={
                    <Chart title="Memory" lines={[{ label: "Memory", color: "#b48cff" }]} data={memData} span={span()} end={end} format={bytes} minTop={1024 * 1024} />
                  }
                >
                  <Chart
                    title="Memory"
                    note={`of ${bytes(memLimit())}`}
                    lines={[{ label: "Memory", color: "#b48cff" }]}
                    data={memData}
                    span={span()}
                    end={end}
                    format={percent}
                    max={100}
                  />
                </Show>
                <Chart
                  title="Network"
                  lines={[
                    { label: "in", color: "#4ee39a" },
                    { label: "out", color: "#ffc857" },
                  ]}
                  data={netData}
                  span={span()}
                  end={end}
                  format={rate}
                  minTop={1024}
                />
                <Chart
                  title="Disk I/O"
                  lines={[
                    { label: "read", color: "#6cb6ff" },
                    { label: "write", color: "#ff7a7a" },
                  ]}
                  data={diskData}
                  span={span()}
                  end={end}
                  format={rate}
                  minTop={1024}
                />
                <Show when={tempData()}>
                  {(d) => (
                    <Chart title="Temperature" lines={[{ label: "hottest", color: "#ff9f5a" }]} data={d} span={span()} end={end} format={celsius} minTop={50} />
                  )}
                </Show>
              </div>
            </Show>
          </Show>
        </div>
      </div>
    </Portal>
  );
}
