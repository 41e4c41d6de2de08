// Opening the history dialog (HistoryDetail.tsx, loaded on first use: its charts are not part of
// the first load).
import { Show, createSignal, lazy } from "solid-js";

const HistoryDetail = lazy(() => import("./HistoryDetail"));

export interface HistoryTarget {
  /** "node/<name>", "qemu/<vmid>" or "lxc/<vmid>". */
  id: string;
  /** How the dialog names it: "postgres-main (101)" or "pve1". */
  title: string;
  /** "VM on pve1", "node". */
  kind: string;
}

const [openTarget, setOpenTarget] = createSignal<HistoryTarget | null>(null);
let returnFocus: HTMLElement | null = null;

/** Opens the history dialog for `target`; focus returns where it was when it closes. */
export function openHistory(target: HistoryTarget) {
  returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  setOpenTarget(target);
}

/** The dialog of the target opened last, if any (Dashboard.tsx mounts it once). */
export function HistoryDialog() {
  const close = () => {
    setOpenTarget(null);
    const el = returnFocus;
    returnFocus = null;
    queueMicrotask(() => {
      if (el && el.isConnected) el.focus();
    });
  };
  return (
    <Show when={openTarget()} keyed>
      {(t) => <HistoryDetail target={t} onClose={close} />}
    </Show>
  );
}

