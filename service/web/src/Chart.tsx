// A uPlot time chart for the history detail: one or more lines over a fixed window ending now,
// nulls drawn as gaps, axes and the latest values in the dashboard's colours.
import { For, Show, createEffect, onMount } from "solid-js";
import type uPlot from "uplot";
import { mountPlot } from "./plot";

export interface Line {
  label: string;
  color: string;
}

/** What a chart's lines hold: times (unix seconds), then one column per line. */
export type ChartData = [number[], ...(number | null)[][]];

const AXIS = {
  stroke: "#93b9bf",
  grid: { stroke: "#0f3038", width: 1 },
  ticks: { stroke: "#15444d", width: 1, size: 4 },
  font: "11px ui-monospace, 'DejaVu Sans Mono', monospace",
};

function lastValue(col: (number | null)[]): number | null {
  for (let i = col.length - 1; i >= 0; i--) if (col[i] !== null) return col[i];
  return null;
}

export default function Chart(props: {
  title: string;
  /** Said after the title, as written (e.g. "of 16.0 GiB"). */
  note?: string;
  lines: Line[];
  data: () => ChartData;
  /** The window: [end - span, end] seconds. */
  span: number;
  end: () => number;
  format: (v: number) => string;
  /** Fixed top of the y axis (100 for percent); otherwise from the data, at least `minTop`. */
  max?: number;
  minTop?: number;
}) {
  let box!: HTMLDivElement;
  let plot: () => uPlot | undefined = () => undefined;
  onMount(() => {
    plot = mountPlot(
      box,
      {
        pxAlign: 0,
        legend: { show: false },
        cursor: { points: { size: 6 }, drag: { x: false, y: false } },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        axes: [
          { ...AXIS, space: 70 },
          {
            ...AXIS,
            // wide enough for the longest label ("1023.9 KiB/s")
            size: (_u, values) => {
              let longest = 0;
              for (const v of values || []) longest = Math.max(longest, v.length);
              return Math.max(40, Math.ceil(longest * 6.8) + 14);
            },
            values: (_u, splits) => splits.map((v) => props.format(v)),
          },
        ],
        scales: {
          x: {
            time: true,
            range: () => {
              const end = props.end();
              return [end - props.span, end];
            },
          },
          y: {
            range: (_u, _min, max) => [0, props.max ?? Math.max(props.minTop ?? 1, (max || 0) * 1.1)],
          },
        },
        series: [
          {},
          ...props.lines.map((l) => ({
            label: l.label,
            stroke: l.color,
            width: 1.5,
            fill: props.lines.length === 1 ? l.color + "22" : undefined,
            points: { show: false },
            spanGaps: false,
          })),
        ],
      },
      props.data() as uPlot.AlignedData,
      { height: 150, minWidth: 200, fallbackWidth: 400 },
    );
  });
  createEffect(() => {
    const d = props.data();
    props.end();
    plot()?.setData(d as uPlot.AlignedData);
  });
  const points = () => props.data()[0].length;
  return (
    <figure class="chart" data-points={points()}>
      <figcaption>
        <span class="k">
          {props.title}
          <Show when={props.note}>
            <span class="note"> {props.note}</span>
          </Show>
        </span>
        <For each={props.lines}>
          {(l, i) => {
            const v = () => lastValue(props.data()[i() + 1] || []);
            return (
              <span class="latest num">
                <span class="swatch" style={{ background: l.color }} aria-hidden="true" />
                {props.lines.length > 1 ? `${l.label} ` : ""}
                {v() === null ? "—" : props.format(v()!)}
              </span>
            );
          }}
        </For>
      </figcaption>
      <div
        class="chart-plot"
        ref={box}
        role="img"
        aria-label={`${props.title}: ${props.lines.map((l) => l.label).join(" and ")}, ${points()} samples`}
      />
    </figure>
  );
}
