// Terminals: pick a node, Open; several sessions at once as tabs. xterm.js is loaded on first use.
import { For, Show, createEffect, createMemo, createSignal, on, onCleanup, onMount } from "solid-js";
import { nodes } from "./live";
import { EXPIRED_NOTICE, INVALID_NOTICE, logout, token } from "./session";
import { route } from "./router";
import type { TerminalHandle } from "./term";

interface Tab {
  id: number;
  node: string;
  title: string;
}

type State =
  | { kind: "loading" }
  | { kind: "connecting" }
  | { kind: "ready"; host?: string }
  | { kind: "exited"; code: number }
  | { kind: "failed"; error: string };

function Session(props: { tab: Tab; active: boolean }) {
  let pane!: HTMLDivElement;
  let handle: TerminalHandle | undefined;
  let disposed = false;
  const [state, setState] = createSignal<State>({ kind: "loading" });
  onMount(async () => {
    try {
      const { openTerminal } = await import("./term");
      if (disposed) return;
      handle = openTerminal(pane, {
        node: props.tab.node,
        token: token() || "",
        onState: setState,
        onAuthError: (reason) => logout(reason === "expired" ? EXPIRED_NOTICE : INVALID_NOTICE),
      });
    } catch {
      setState({ kind: "failed", error: "The terminal could not be loaded." });
    }
  });
  onCleanup(() => {
    disposed = true;
    handle?.dispose();
  });
  createEffect(
    on(
      () => props.active && route() === "terminal",
      (shown) => {
        if (shown && handle) {
          requestAnimationFrame(() => {
            handle?.fit();
            handle?.focus();
          });
        }
      },
    ),
  );
  const ended = () => state().kind === "exited" || state().kind === "failed";
  return (
    <div
      class="term-panel"
      role="tabpanel"
      id={`term-panel-${props.tab.id}`}
      aria-labelledby={`term-tab-${props.tab.id}`}
      hidden={!props.active}
    >
      <div class="term-status">
        <span class="what">
          {(() => {
            const s = state();
            switch (s.kind) {
              case "loading":
                return "Loading terminal…";
              case "connecting":
                return `Connecting to ${props.tab.node}…`;
              case "ready":
                return `Connected to ${props.tab.node}${s.host ? ` (${s.host})` : ""}`;
              case "exited":
                return `[exited with code ${s.code}]`;
              case "failed":
                return s.error;
            }
          })()}
        </span>
        <Show when={ended()}>
          <button type="button" class="primary small" onClick={() => handle?.reconnect()}>
            Reconnect
          </button>
        </Show>
      </div>
      <div class="term-pane" ref={pane} />
    </div>
  );
}

export default function TerminalView() {
  const [tabs, setTabs] = createSignal<Tab[]>([]);
  const [active, setActive] = createSignal<number | null>(null);
  const [picked, setPicked] = createSignal("");
  let nextId = 1;
  const choices = createMemo(() => nodes().map((n) => ({ node: n.node, online: n.status === "online", protected: !!n.protected })));
  createEffect(() => {
    // Default to the first node a terminal can open on.
    if (picked() && choices().some((c) => c.node === picked())) return;
    const first = choices().find((c) => c.online && !c.protected) ?? choices()[0];
    if (first) setPicked(first.node);
  });
  const open = () => {
    const node = picked();
    if (!node) return;
    const n = tabs().filter((t) => t.node === node).length + 1;
    const tab = { id: nextId++, node, title: n > 1 ? `${node} #${n}` : node };
    setTabs([...tabs(), tab]);
    setActive(tab.id);
  };
  const close = (id: number) => {
    const list = tabs();
    const i = list.findIndex((t) => t.id === id);
    const next = list.filter((t) => t.id !== id);
    setTabs(next);
    if (active() === id) setActive(next.length ? next[Math.min(i, next.length - 1)].id : null);
  };
  const onTabKey = (e: KeyboardEvent) => {
    const list = tabs();
    const i = list.findIndex((t) => t.id === active());
    let j = -1;
    if (e.key === "ArrowRight") j = (i + 1) % list.length;
    else if (e.key === "ArrowLeft") j = (i - 1 + list.length) % list.length;
    else if (e.key === "Home") j = 0;
    else if (e.key === "End") j = list.length - 1;
    if (j < 0) return;
    e.preventDefault();
    setActive(list[j].id);
    document.getElementById(`term-tab-${list[j].id}`)?.focus();
  };
  const reason = () => {
    const c = choices().find((x) => x.node === picked());
    if (!c) return "";
    if (c.protected) return `Node ${c.node} is protected: terminals are refused`;
    if (!c.online) return `Node ${c.node} is offline`;
    return "";
  };
  return (
    <section class="panel terminals" aria-labelledby="terminals-title">
      <div class="panel-head">
        <h2 id="terminals-title">Terminals</h2>
        <form
          class="term-open"
          onSubmit={(e) => {
            e.preventDefault();
            open();
          }}
        >
          <label for="term-node">Node</label>
          <select id="term-node" value={picked()} onChange={(e) => setPicked(e.currentTarget.value)}>
            <For each={choices()}>
              {(c) => (
                <option value={c.node}>
                  {c.node}
                  {c.protected ? " (protected)" : c.online ? "" : " (offline)"}
                </option>
              )}
            </For>
          </select>
          <button
            type="submit"
            class="primary"
            disabled={!picked() || !!reason()}
            title={reason() || undefined}
            aria-describedby={reason() ? "term-why" : undefined}
          >
            Open
          </button>
          <Show when={reason()}>
            <span id="term-why" class="why">
              {reason()}
            </span>
          </Show>
        </form>
      </div>
      <Show when={tabs().length} fallback={<p class="empty">Pick a node and open a shell on it.</p>}>
        <div class="term-tabs" role="tablist" aria-label="Open terminals" onKeyDown={onTabKey}>
          <For each={tabs()}>
            {(t) => (
              <div class={`term-tab ${active() === t.id ? "on" : ""}`}>
                <button
                  type="button"
                  role="tab"
                  id={`term-tab-${t.id}`}
                  aria-selected={active() === t.id}
                  aria-controls={`term-panel-${t.id}`}
                  tabindex={active() === t.id ? 0 : -1}
                  onClick={() => setActive(t.id)}
                >
                  {t.title}
                </button>
                <button type="button" class="close" aria-label={`Close ${t.title}`} title={`Close ${t.title}`} onClick={() => close(t.id)}>
                  ×
                </button>
              </div>
            )}
          </For>
        </div>
        <For each={tabs()}>{(t) => <Session tab={t} active={active() === t.id} />}</For>
      </Show>
    </section>
  );
}
