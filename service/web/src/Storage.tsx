import { For, Show, createMemo } from "solid-js";
import { storage } from "./live";
import { bytes, pct, ratio } from "./format";

export default function Storage() {
  const rows = createMemo(() =>
    [...storage()].sort((a, b) => (a.node === b.node ? a.storage.localeCompare(b.storage) : a.node.localeCompare(b.node))),
  );
  return (
    <section class="panel" aria-labelledby="storage-title">
      <h2 id="storage-title">Storage</h2>
      <Show when={rows().length} fallback={<p class="empty">Waiting for data…</p>}>
        <ul class="storage">
          <For each={rows()}>
            {(s) => {
              const r = () => ratio(s.used, s.total);
              return (
                <li class={s.status === "active" ? "" : "inactive"}>
                  <div class="line">
                    <span class="name">
                      {s.storage}
                      <span class="on"> on {s.node}</span>
                    </span>
                    <Show when={s.shared}>
                      <span class="pill small" title="Shared storage: the same pool seen from every node">
                        shared
                      </span>
                    </Show>
                    <Show when={s.status !== "active"}>
                      <span class="pill bad small">{s.status}</span>
                    </Show>
                    <span class="v num">
                      {bytes(s.used)} / {bytes(s.total)}
                    </span>
                  </div>
                  <div
                    class={`bar ${r() >= 0.9 ? "hot" : r() >= 0.75 ? "warm" : ""}`}
                    role="meter"
                    aria-label={`${s.storage} on ${s.node}${s.shared ? " (shared)" : ""}: ${pct(r())} used`}
                    aria-valuemin="0"
                    aria-valuemax="100"
                    aria-valuenow={Math.round(r() * 100)}
                  >
                    <div class="fill" style={{ width: `${(r() * 100).toFixed(1)}%` }} />
                  </div>
                </li>
              );
            }}
          </For>
        </ul>
      </Show>
    </section>
  );
}
