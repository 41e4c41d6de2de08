import { For, Show } from "solid-js";
import { EVENT_CAP, events } from "./live";
import type { JarvisEvent } from "./types";
import { clock } from "./format";

/** What a tool or task event is about: the guest's name and vmid, or the node. */
export function targetText(e: JarvisEvent): string {
  const d = e.data;
  if (d.kind !== "tool" && d.kind !== "task") return "";
  const t = d.target ?? {};
  const vmid = t.vmid ?? d.args?.vmid ?? (d.kind === "task" && d.id ? d.id : undefined);
  const node = t.node ?? d.args?.node ?? d.node ?? e.node;
  const kind = t.type === "lxc" ? "CT" : t.type === "qemu" ? "VM" : "";
  if (vmid !== undefined && vmid !== "") {
    const who = t.name ? `${t.name} (${vmid})` : `guest ${vmid}`;
    return `${kind ? kind + " " : ""}${who}${node ? ` on ${node}` : ""}`;
  }
  return node ? `node ${node}` : "";
}

export default function Events() {
  return (
    <section class="panel events" aria-labelledby="events-title">
      <div class="panel-head">
        <h2 id="events-title">Events</h2>
        <span class="count">newest first, last {EVENT_CAP}</span>
      </div>
      <div class="log" role="log" aria-labelledby="events-title">
        <ol>
        <For each={events()} fallback={<li class="empty">No events yet.</li>}>
          {(e) => {
            const target = targetText(e);
            const st = typeof e.data.status === "string" ? e.data.status : "";
            return (
              <li class={`ev sev-${e.severity} type-${e.type} ${e.resolvedAt ? "resolved" : ""}`}>
                <time class="num" datetime={e.timestamp}>
                  {clock(e.timestamp)}
                </time>
                <span class={`sev sev-${e.severity}`}>{e.type === "alert" ? e.severity : e.type}</span>
                <span class="what">
                  <strong>{e.title}</strong>
                  <Show when={target}>
                    <span class="target"> · {target}</span>
                  </Show>
                  <Show when={e.data.kind === "tool" && st}>
                    <span class={`st ${st}`}> · {st}</span>
                  </Show>
                  <Show when={e.resolvedAt}>
                    <span class="st resolved"> · resolved</span>
                  </Show>
                  <span class="msg">{e.message}</span>
                </span>
              </li>
            );
          }}
        </For>
        </ol>
      </div>
    </section>
  );
}
