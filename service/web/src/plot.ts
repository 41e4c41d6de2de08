import { onCleanup } from "solid-js";
import uPlot from "uplot";

/** A uPlot in `box`, as wide as the box (at least `minWidth`; `fallbackWidth` while the box has
 *  no width yet) and `height` high, that follows the box's width and is destroyed with the
 *  component. Call from onMount; the getter answers undefined once it is gone. */
export function mountPlot(
  box: HTMLElement,
  opts: Omit<uPlot.Options, "width" | "height">,
  data: uPlot.AlignedData,
  size: { height: number; minWidth: number; fallbackWidth: number },
): () => uPlot | undefined {
  const width = Math.max(size.minWidth, Math.floor(box.clientWidth) || size.fallbackWidth);
  let plot: uPlot | undefined = new uPlot({ ...opts, width, height: size.height }, data, box);
  const ro = new ResizeObserver(() => {
    const w = Math.floor(box.clientWidth);
    if (plot && w > 0 && w !== plot.width) plot.setSize({ width: w, height: size.height });
  });
  ro.observe(box);
  onCleanup(() => {
    ro.disconnect();
    plot?.destroy();
    plot = undefined;
  });
  return () => plot;
}
