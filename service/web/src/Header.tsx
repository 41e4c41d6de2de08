import { Show, createMemo } from "solid-js";
import { guests, isLive, lastUpdate, nodes, now, quorum, reconnecting } from "./live";
import { logout } from "./session";
import { href, route } from "./router";

export default function Header() {
  const online = createMemo(() => nodes().filter((n) => n.status === "online").length);
  const running = createMemo(() => {
    let n = 0;
    for (const g of guests()) if (g.status === "running") n++;
    return n;
  });
  const age = () => {
    const t = lastUpdate();
    if (!t) return "no data yet";
    const s = Math.max(0, Math.round((now() - t) / 1000));
    return s < 60 ? `${s} s ago` : `${Math.floor(s / 60)} min ago`;
  };
  const q = () => quorum();
  return (
    <header class="top">
      <div class="status-banner" role="status">
        <Show when={reconnecting()}>
          <span class="banner">Reconnecting…</span>
        </Show>
      </div>
      <div class="bar">
        <div class="title">
          <span class="brand" aria-hidden="true">
            J.A.R.V.I.S.
          </span>
          <h1 class="cluster">{q()?.clusterName || "Proxmox cluster"}</h1>
        </div>
        <dl class="stats">
          <div class={q() ? (q()!.quorate ? "ok" : "bad") : ""}>
            <dt>Quorum</dt>
            <dd>
              {q() ? (q()!.quorate ? "quorate" : "not quorate") : "—"}{" "}
              <span class="num">
                {q() ? `${q()!.totalVotes}/${q()!.expectedVotes}` : ""}
              </span>
              <span class="sr-only"> votes</span>
            </dd>
          </div>
          <div>
            <dt>Nodes</dt>
            <dd class="num">
              {online()}/{nodes().length}
              <span class="sr-only"> online</span>
            </dd>
          </div>
          <div>
            <dt>Guests</dt>
            <dd class="num">
              {running()}/{guests().length}
              <span class="sr-only"> running</span>
            </dd>
          </div>
          <div class={isLive() ? "live ok" : "live bad"}>
            <dt class="sr-only">Data</dt>
            <dd>
              <span class="dot" aria-hidden="true" />
              <Show when={isLive()} fallback={<span>Stale <span class="num">{age()}</span></span>}>
                <span>Live</span>
              </Show>
            </dd>
          </div>
        </dl>
        <nav class="tabs" aria-label="Views">
          <a href={href("dashboard")} aria-current={route() === "dashboard" ? "page" : undefined}>
            Dashboard
          </a>
          <a href={href("terminal")} aria-current={route() === "terminal" ? "page" : undefined}>
            Terminal
          </a>
        </nav>
        <button type="button" class="ghost" onClick={() => logout()}>
          Log out
        </button>
      </div>
    </header>
  );
}
