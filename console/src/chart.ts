// Time series charts: uPlot, with an optional threshold line (an alarm's).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Point } from '../../src/console/api-types';
import { h } from './dom';

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

const PALETTE = ['--series-1', '--series-2', '--series-3', '--series-4'];

export interface ChartOptions {
  title: string;
  /** One label per series. */
  series: string[];
  /** A horizontal line (an alarm's threshold), drawn and kept inside the y range. */
  threshold?: number;
  height?: number;
  testid?: string;
}

export interface TimeChart {
  el: HTMLElement;
  /** One list of points per series, in the order of `series`; times in ms. `span` fixes the time axis. */
  setData(series: Point[][], span?: [number, number]): void;
  setThreshold(value: number | undefined): void;
  destroy(): void;
}

/** Series of [ms, value] points on one time axis: uPlot wants one x array and nulls where a series has no point. */
function align(series: Point[][]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((points) => points.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns = series.map((points) => {
    const ys: (number | null)[] = new Array(xs.length).fill(null);
    for (const [t, v] of points) {
      const i = index.get(t);
      if (i !== undefined) ys[i] = v;
    }
    return ys;
  });
  return [xs.map((x) => x / 1000), ...columns];
}

export function timeChart(options: ChartOptions): TimeChart {
  const plotHost = h('div', { class: 'chart-plot' });
  const empty = h('p', { class: 'chart-empty muted', hidden: true }, 'No data points in this range yet.');
  const el = h(
    'figure',
    { class: 'chart', testid: options.testid, 'aria-label': options.title },
    h('figcaption', null, options.title),
    plotHost,
    empty,
  );
  let threshold = options.threshold;
  const markThreshold = () => {
    if (threshold === undefined) delete el.dataset.threshold;
    else el.dataset.threshold = String(threshold);
  };
  markThreshold();
  let data: uPlot.AlignedData = [[], ...options.series.map(() => [])];
  let span: [number, number] | undefined;
  let plot: uPlot | undefined;

  const build = () => {
    plot?.destroy();
    const axis = cssVar('--muted', '#666');
    const grid = cssVar('--grid', 'rgba(128,128,128,0.2)');
    const width = Math.max(200, plotHost.clientWidth || 600);
    plot = new uPlot(
      {
        width,
        height: options.height ?? 180,
        cursor: { drag: { x: false, y: false } },
        legend: { live: true },
        scales: {
          // The chosen range, not just where the data happens to be: a quiet start shows as quiet.
          x: { time: true, range: (_u, min, max) => (span ? [span[0] / 1000, span[1] / 1000] : [min, max]) },
          y: {
            range: (_u, min, max) => {
              // Keep zero and the threshold on screen, so the line and the values compare at a glance.
              let lo = Math.min(0, min ?? 0);
              let hi = Math.max(1, max ?? 1);
              if (threshold !== undefined) {
                lo = Math.min(lo, threshold);
                hi = Math.max(hi, threshold);
              }
              return [lo, hi + (hi - lo) * 0.1];
            },
          },
        },
        axes: [
          { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid } },
          { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid }, size: 50 },
        ],
        series: [
          {},
          ...options.series.map((label, i) => ({
            label,
            stroke: cssVar(PALETTE[i % PALETTE.length] ?? '--series-1', '#2a7ae2'),
            width: 2,
            spanGaps: false,
            // Dots only where the line has too few points to be seen as one.
            points: { show: (u: uPlot) => (u.data[0]?.length ?? 0) < 40, size: 5 },
          })),
        ],
        hooks: {
          draw: [
            (u) => {
              if (threshold === undefined) return;
              const y = Math.round(u.valToPos(threshold, 'y', true));
              const { ctx } = u;
              ctx.save();
              ctx.strokeStyle = cssVar('--danger', '#c62828');
              ctx.lineWidth = 2 * devicePixelRatio;
              ctx.setLineDash([8 * devicePixelRatio, 4 * devicePixelRatio]);
              ctx.beginPath();
              ctx.moveTo(u.bbox.left, y);
              ctx.lineTo(u.bbox.left + u.bbox.width, y);
              ctx.stroke();
              ctx.restore();
            },
          ],
        },
      },
      data,
      plotHost,
    );
  };

  const resize = new ResizeObserver(() => {
    if (!plot) return;
    const width = Math.max(200, plotHost.clientWidth);
    if (width !== plot.width) plot.setSize({ width, height: plot.height });
  });
  resize.observe(plotHost);
  // Canvas colours are read from the CSS variables once: a colour scheme change needs a rebuild.
  const scheme = matchMedia('(prefers-color-scheme: dark)');
  const onScheme = () => build();
  scheme.addEventListener('change', onScheme);
  // Built on the next frame, once the figure is in the document and has a width.
  requestAnimationFrame(() => build());

  return {
    el,
    setData(series, range) {
      span = range;
      data = align(series);
      empty.hidden = (data[0] as number[]).length > 0;
      plot?.setData(data);
    },
    setThreshold(value) {
      threshold = value;
      markThreshold();
      // setData, not redraw: the y range must take the new threshold in.
      plot?.setData(data);
    },
    destroy() {
      resize.disconnect();
      scheme.removeEventListener('change', onScheme);
      plot?.destroy();
      plot = undefined;
    },
  };
}
