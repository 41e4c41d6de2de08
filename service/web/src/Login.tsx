import { Show, createSignal, onCleanup } from "solid-js";
import { login, loginNotice } from "./session";

export default function Login() {
  const [password, setPassword] = createSignal("");
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [retryIn, setRetryIn] = createSignal(0);
  const [throttledFor, setThrottledFor] = createSignal(0);
  let timer: number | undefined;
  onCleanup(() => window.clearInterval(timer));

  const countdown = (seconds: number) => {
    window.clearInterval(timer);
    setRetryIn(seconds);
    timer = window.setInterval(() => {
      const left = retryIn() - 1;
      setRetryIn(Math.max(0, left));
      if (left <= 0) {
        window.clearInterval(timer);
        setError("");
      }
    }, 1000);
  };

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    if (busy() || retryIn() > 0) return;
    setBusy(true);
    setError("");
    const r = await login(password());
    setBusy(false);
    if (r.ok) return;
    if (r.kind === "wrong") setError("Wrong password");
    else if (r.kind === "throttled") {
      countdown(r.retryAfter);
      setThrottledFor(r.retryAfter);
      setError("throttled");
    } else setError(r.message);
  };

  const message = () =>
    // The alert keeps the server's figure (a ticking alert would be re-announced every second);
    // the button stays disabled until the wait is over, and the alert then goes.
    error() === "throttled" ? `Too many attempts, try again in ${throttledFor()} s` : error();

  return (
    <main class="login-page">
      <form class="login panel" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">
          <span class="brand">J.A.R.V.I.S.</span>
          <span class="sub">Proxmox cluster console</span>
        </h1>
        <Show when={loginNotice()}>
          <p class="notice" role="status">
            {loginNotice()}
          </p>
        </Show>
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          autofocus
          value={password()}
          onInput={(e) => setPassword(e.currentTarget.value)}
          aria-invalid={error() === "Wrong password" ? "true" : undefined}
          aria-describedby={error() ? "login-error" : undefined}
        />
        <button type="submit" class="primary" disabled={busy() || retryIn() > 0}>
          Log in
        </button>
        <Show when={error()}>
          <p id="login-error" class="error" role="alert">
            {message()}
          </p>
        </Show>
      </form>
    </main>
  );
}
