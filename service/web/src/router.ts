// Hash routing: #/ is the dashboard, #/terminal the terminals (jarvisd also serves index.html
// for any other path, so history routing would work too; the hash keeps it simple).
import { createSignal } from "solid-js";

export type Route = "dashboard" | "terminal";

function parse(): Route {
  return location.hash.replace(/^#\/?/, "").startsWith("terminal") ? "terminal" : "dashboard";
}

const [route, setRoute] = createSignal<Route>(parse());
window.addEventListener("hashchange", () => setRoute(parse()));
export { route };
export const href = (r: Route) => (r === "terminal" ? "#/terminal" : "#/");
