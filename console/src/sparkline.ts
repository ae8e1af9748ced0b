// The tables' sparklines: plain SVG, one per row, so they must be cheap (and keep uPlot off the overview).
import type { Point } from '../../src/console/api-types';

const SVG = 'http://www.w3.org/2000/svg';

/** A depth or throughput line, scaled to its own maximum; `label` is what a screen reader hears instead. */
export function sparkline(points: Point[], label: string): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('viewBox', '0 0 100 24');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  const title = document.createElementNS(SVG, 'title');
  svg.appendChild(title);
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('vector-effect', 'non-scaling-stroke');
  svg.appendChild(line);
  updateSparkline(svg, points, label);
  return svg;
}

export function updateSparkline(svg: SVGSVGElement, points: Point[], label: string): void {
  const line = svg.querySelector('polyline');
  const title = svg.querySelector('title');
  if (!line || !title) return;
  const values = points.map((p) => p[1]);
  const max = Math.max(1, ...values);
  const n = points.length;
  const y = (v: number) => (22 - (v / max) * 20).toFixed(1);
  // By time, not by index: a minute with no point shows as a gap in time, not as a squeezed line.
  const t0 = points[0]?.[0] ?? 0;
  const t1 = points.at(-1)?.[0] ?? 0;
  const x = (t: number) => (t1 > t0 ? ((t - t0) / (t1 - t0)) * 100 : 100);
  // No point yet: a muted baseline, so the cell reads as "nothing yet" rather than as broken; one point: flat.
  const coords =
    n === 0
      ? ['0,22', '100,22']
      : n === 1
        ? [`0,${y(values[0] ?? 0)}`, `100,${y(values[0] ?? 0)}`]
        : points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1])}`);
  svg.classList.toggle('empty', n === 0);
  line.setAttribute('points', coords.join(' '));
  const last = values.at(-1);
  const text = n === 0 ? `${label}: no data` : `${label}: now ${last}, peak ${Math.max(...values)}`;
  svg.setAttribute('aria-label', text);
  title.textContent = text;
}
