import { For, Show, createMemo } from "solid-js";
import { nodes, temps } from "./live";
import type { NodeData } from "./types";
import { bytes, duration, pct, ratio } from "./format";
import Sparkline from "./Sparkline";
import { openHistory } from "./historyDialog";

const WARM = 70;
const HOT = 85;

function hottest(n: NodeData, extra: Record<string, number> | undefined): { sensor: string; c: number } | null {
  let best: { sensor: string; c: number } | null = null;
  const zones = Object.keys(n.temperatures || {}).length ? n.temperatures : extra || {};
  for (const [sensor, c] of Object.entries(zones)) {
    if (typeof c === "number" && (!best || c > best.c)) best = { sensor, c };
  }
  return best;
}

function Meter(props: { label: string; value: number; text: string }) {
  const level = () => (props.value >= 0.9 ? "hot" : props.value >= 0.75 ? "warm" : "");
  return (
    <div class="metric">
      <span class="k">{props.label}</span>
      <span class="v num">{props.text}</span>
      <div
        class={`bar ${level()}`}
        role="meter"
        aria-label={props.label}
        aria-valuemin="0"
        aria-valuemax="100"
        aria-valuenow={Math.round(props.value * 100)}
      >
        <div class="fill" style={{ width: `${(props.value * 100).toFixed(1)}%` }} />
      </div>
    </div>
  );
}

function NodeCard(props: { n: NodeData }) {
  const n = () => props.n;
  const online = () => n().status === "online";
  const temp = () => hottest(n(), temps().get(n().node));
  return (
    <article class={`card node ${online() ? "" : "offline"}`} aria-labelledby={`node-${n().node}`}>
      <header>
        <h3 id={`node-${n().node}`}>{n().name || n().node}</h3>
        <span class={`pill ${online() ? "ok" : "bad"}`}>{online() ? "online" : n().status || "offline"}</span>
        <Show when={n().protected}>
          <span class="pill warn" title="Actions and terminals on this node are refused">
            protected
          </span>
        </Show>
        <button
          type="button"
          class="ghost small charts-btn"
          aria-label={`Charts of ${n().node}`}
          title={`CPU, memory, network, disk I/O and temperature of ${n().node}, last hour or 24 h`}
          onClick={() => openHistory({ id: `node/${n().node}`, title: n().name || n().node, kind: "node" })}
        >
          Charts
        </button>
      </header>
      <Show
        when={online()}
        fallback={<p class="offline-note">Node is {n().status || "offline"}: no metrics.</p>}
      >
        <Meter label="CPU" value={n().cpu} text={`${pct(n().cpu)} of ${n().maxcpu}`} />
        <Meter
          label="Memory"
          value={ratio(n().mem, n().maxmem)}
          text={`${bytes(n().mem)} / ${bytes(n().maxmem)}`}
        />
        <Meter
          label="Root disk"
          value={ratio(n().disk, n().maxdisk)}
          text={`${bytes(n().disk)} / ${bytes(n().maxdisk)}`}
        />
        <dl class="facts">
          <div>
            <dt>Uptime</dt>
            <dd class="num">{duration(n().uptime)}</dd>
          </div>
          <div>
            <dt>Load</dt>
            <dd class="num">{n().loadavg ? n().loadavg!.map((x) => x.toFixed(x >= 10 ? 1 : 2)).join(" ") : "—"}</dd>
          </div>
          <div>
            <dt>Temp</dt>
            <dd
              class={`num ${temp() ? (temp()!.c >= HOT ? "hot" : temp()!.c >= WARM ? "warm" : "") : ""}`}
              title={temp() ? temp()!.sensor : "no sensor reading"}
            >
              {temp() ? `${temp()!.c.toFixed(0)} °C` : "—"}
              <Show when={temp() && temp()!.c >= HOT}>
                <span class="sr-only"> (hot)</span>
              </Show>
              <Show when={temp() && temp()!.c >= WARM && temp()!.c < HOT}>
                <span class="sr-only"> (warm)</span>
              </Show>
            </dd>
          </div>
        </dl>
      </Show>
      <div class="sparks">
        <div>
          <span class="k">CPU 1 h</span>
          <Sparkline node={n().node} metric="cpu" label={`CPU of ${n().node}, last hour`} color="#2ee6f0" />
        </div>
        <div>
          <span class="k">Mem 1 h</span>
          <Sparkline node={n().node} metric="mem" label={`Memory of ${n().node}, last hour`} color="#b48cff" />
        </div>
      </div>
    </article>
  );
}

export default function Nodes() {
  // Keyed by node name so a snapshot updates the cards in place.
  const names = createMemo(() => nodes().map((n) => n.node), undefined, {
    equals: (a, b) => a.length === b.length && a.every((x, i) => x === b[i]),
  });
  const byName = createMemo(() => new Map(nodes().map((n) => [n.node, n])));
  return (
    <section class="panel" aria-labelledby="nodes-title">
      <h2 id="nodes-title">Nodes</h2>
      <Show when={nodes().length} fallback={<p class="empty">Waiting for data…</p>}>
        <div class="cards">
          <For each={names()}>
            {(name) => (
              <Show when={byName().get(name)}>{(n) => <NodeCard n={n()} />}</Show>
            )}
          </For>
        </div>
      </Show>
    </section>
  );
}
