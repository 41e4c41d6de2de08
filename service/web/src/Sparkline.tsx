import { createEffect, createMemo, onMount } from "solid-js";
import type uPlot from "uplot";
import { mountPlot } from "./plot";
import { history, historyVersion, HISTORY_SECONDS, serverNow } from "./live";

/** A small uPlot line of one node's CPU or memory (percent) over the last hour: seeded from the
 *  `history` event, extended by live samples; a null sample (node offline, no data) is a gap.
 *  data-points / data-from / data-to (unix seconds) say what it holds, for tests. */
export default function Sparkline(props: { node: string; metric: "cpu" | "mem"; label: string; color: string }) {
  let box!: HTMLDivElement;
  let plot: () => uPlot | undefined = () => undefined;
  const data = (): uPlot.AlignedData => {
    historyVersion(); // the series are updated in place
    const s = history.get(props.node);
    return s ? [s.t, props.metric === "cpu" ? s.cpu : s.mem] : [[], []];
  };
  const held = createMemo(() => {
    const t = data()[0] as number[];
    return { points: t.length, from: t.length ? t[0] : 0, to: t.length ? t[t.length - 1] : 0 };
  });
  onMount(() => {
    plot = mountPlot(
      box,
      {
        pxAlign: 0,
        cursor: { show: false },
        legend: { show: false },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        axes: [{ show: false }, { show: false }],
        scales: {
          x: {
            time: true,
            range: (_u, _min, max) => {
              const end = Math.max(max || 0, serverNow());
              return [end - HISTORY_SECONDS, end];
            },
          },
          y: { range: [0, 100] },
        },
        series: [{}, { stroke: props.color, width: 1.5, fill: props.color + "22", points: { show: false } }],
      },
      data(),
      { height: 36, minWidth: 60, fallbackWidth: 200 },
    );
  });
  createEffect(() => plot()?.setData(data()));
  return (
    <div
      class="spark"
      ref={box}
      role="img"
      aria-label={props.label}
      data-points={held().points}
      data-from={held().from}
      data-to={held().to}
    />
  );
}
