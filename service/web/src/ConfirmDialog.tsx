// Confirmation for a RED action: a modal alertdialog (focus trapped, Escape cancels, the rest of
// the page inert) naming the guest and the consequence.
import { onCleanup, onMount } from "solid-js";
import { Portal } from "solid-js/web";
import type { Action } from "./live";
import type { VMData } from "./types";

const CONSEQUENCE: Record<Action, string> = {
  start: "The guest boots.",
  shutdown:
    "The guest's operating system is asked to shut down cleanly; its services go offline until it is started again.",
  stop: "The guest is powered off immediately, like pulling the plug: anything not saved inside it is lost and its services go offline.",
  restart: "The guest reboots; its services are unavailable until it is back up.",
};

export default function ConfirmDialog(props: {
  g: VMData;
  action: Action;
  label: string;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  let dialog!: HTMLDivElement;
  let cancel!: HTMLButtonElement;
  const app = () => document.getElementById("app");
  onMount(() => {
    app()?.setAttribute("inert", "");
    cancel.focus();
  });
  onCleanup(() => app()?.removeAttribute("inert"));

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      props.onCancel();
      return;
    }
    if (e.key !== "Tab") return;
    const focusable = [...dialog.querySelectorAll<HTMLElement>("button:not([disabled])")];
    if (!focusable.length) return;
    const firstEl = focusable[0];
    const lastEl = focusable[focusable.length - 1];
    if (e.shiftKey && document.activeElement === firstEl) {
      e.preventDefault();
      lastEl.focus();
    } else if (!e.shiftKey && document.activeElement === lastEl) {
      e.preventDefault();
      firstEl.focus();
    }
  };
  const kind = () => (props.g.type === "lxc" ? "container" : "virtual machine");

  return (
    <Portal>
      <div class="backdrop" onClick={(e) => e.target === e.currentTarget && props.onCancel()}>
        <div
          ref={dialog}
          class="dialog panel"
          role="alertdialog"
          aria-modal="true"
          aria-labelledby="confirm-title"
          aria-describedby="confirm-desc"
          onKeyDown={onKeyDown}
        >
          <h2 id="confirm-title">
            {props.label} {props.g.name} ({props.g.vmid})?
          </h2>
          <p id="confirm-desc">
            {props.label} the {kind()} <strong>{props.g.name}</strong> ({props.g.vmid}) on node{" "}
            <strong>{props.g.node}</strong>. {CONSEQUENCE[props.action]}
          </p>
          <div class="dialog-actions">
            <button type="button" ref={cancel} onClick={() => props.onCancel()}>
              Cancel
            </button>
            <button type="button" class="danger" onClick={() => props.onConfirm()}>
              {props.label}
            </button>
          </div>
        </div>
      </div>
    </Portal>
  );
}
