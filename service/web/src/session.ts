// The login token (sessionStorage, so a reload keeps the session) and the REST helpers.
import { createSignal } from "solid-js";

const KEY = "jarvis.token";

function readToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

const [token, setTokenSignal] = createSignal<string | null>(readToken());
/** Why the login form is shown again (expired session, server restart...), or "". */
const [loginNotice, setLoginNotice] = createSignal("");
export { token, loginNotice };

function storeToken(t: string | null) {
  try {
    if (t) sessionStorage.setItem(KEY, t);
    else sessionStorage.removeItem(KEY);
  } catch {
    /* storage unavailable: the session lasts as long as the page */
  }
  setTokenSignal(t);
}

export function logout(notice = "") {
  setLoginNotice(notice);
  storeToken(null);
}

export const EXPIRED_NOTICE = "Your session has expired. Log in again.";
export const INVALID_NOTICE = "Your session is no longer valid (the server may have restarted). Log in again.";

export type LoginResult =
  | { ok: true }
  | { ok: false; kind: "wrong" }
  | { ok: false; kind: "throttled"; retryAfter: number }
  | { ok: false; kind: "error"; message: string };

export async function login(password: string): Promise<LoginResult> {
  let res: Response;
  try {
    res = await fetch("/api/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ password }),
    });
  } catch {
    return { ok: false, kind: "error", message: "Cannot reach the Jarvis service." };
  }
  const body = await readJson(res);
  if (res.ok && typeof body?.token === "string") {
    setLoginNotice("");
    storeToken(body.token);
    return { ok: true };
  }
  if (res.status === 401) return { ok: false, kind: "wrong" };
  if (res.status === 429) {
    const n = Number(body?.retryAfter);
    return { ok: false, kind: "throttled", retryAfter: Number.isFinite(n) && n > 0 ? Math.ceil(n) : 60 };
  }
  return { ok: false, kind: "error", message: errorText(res, body) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function readJson(res: Response): Promise<any> {
  try {
    return await res.json();
  } catch {
    return null;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function errorText(res: Response, body: any): string {
  if (body && typeof body.error === "string" && body.error) return body.error;
  return `The service answered ${res.status}${res.statusText ? " " + res.statusText : ""}.`;
}

export type ApiResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; error: string };

/** A REST call with the token; any 401 ends the session and returns to the login form. */
export async function api<T>(path: string, init: RequestInit = {}): Promise<ApiResult<T>> {
  const t = token();
  const headers = new Headers(init.headers);
  if (t) headers.set("authorization", `Bearer ${t}`);
  if (init.body) headers.set("content-type", "application/json");
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers });
  } catch {
    return { ok: false, status: 0, error: "Cannot reach the Jarvis service." };
  }
  const body = await readJson(res);
  if (res.status === 401) {
    logout(body?.reason === "expired" ? EXPIRED_NOTICE : INVALID_NOTICE);
    return { ok: false, status: 401, error: "Not logged in." };
  }
  if (!res.ok || (body && body.success === false)) return { ok: false, status: res.status, error: errorText(res, body) };
  return { ok: true, status: res.status, body: body as T };
}
