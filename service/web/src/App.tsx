import { Show, createEffect, createSignal, onCleanup } from "solid-js";
import { token } from "./session";
import { startLive } from "./live";
import { route } from "./router";
import Login from "./Login";
import Header from "./Header";
import Dashboard from "./Dashboard";
import TerminalView from "./TerminalView";

export default function App() {
  createEffect(() => {
    const t = token();
    if (!t) return;
    const stop = startLive(t);
    onCleanup(stop);
  });
  // The terminal view mounts on first visit and then stays mounted (hidden) so its sessions
  // survive a look at the dashboard.
  const [terminalsUsed, setTerminalsUsed] = createSignal(false);
  createEffect(() => {
    if (route() === "terminal") setTerminalsUsed(true);
  });
  createEffect(() => {
    if (!token()) setTerminalsUsed(false);
  });
  let main!: HTMLElement;
  return (
    <Show when={token()} fallback={<Login />}>
      <div id="app" class="app">
        <button class="skip" type="button" onClick={() => main.focus()}>
          Skip to content
        </button>
        <Header />
        <main id="main" ref={main} tabindex="-1">
          <div hidden={route() !== "dashboard"}>
            <Dashboard />
          </div>
          <Show when={terminalsUsed()}>
            <div hidden={route() !== "terminal"}>
              <TerminalView />
            </div>
          </Show>
        </main>
      </div>
    </Show>
  );
}
