// A queue's CloudWatch metrics (AWS/SQS, dimension QueueName) over a chosen range, refreshed with the page.
import type { Point } from '../../src/console/api-types';
import { api, describeError } from './api';
import { type TimeChart, timeChart } from './chart';
import { h, setText } from './dom';
import { section } from './ui';

/** Range in seconds → period: about 30 to 300 points whatever the range. */
const RANGES: { label: string; range: number; period: number }[] = [
  { label: 'Last 5 minutes', range: 300, period: 10 },
  { label: 'Last hour', range: 3600, period: 60 },
  { label: 'Last 3 hours', range: 10_800, period: 60 },
  { label: 'Last 24 hours', range: 86_400, period: 300 },
  { label: 'Last 7 days', range: 604_800, period: 3600 },
];

interface ChartSpec {
  title: string;
  testid: string;
  metrics: { metric: string; stat: string; label: string }[];
}

const CHARTS: ChartSpec[] = [
  {
    title: 'Messages in the queue',
    testid: 'chart-depth',
    metrics: [
      { metric: 'ApproximateNumberOfMessagesVisible', stat: 'Maximum', label: 'Visible' },
      { metric: 'ApproximateNumberOfMessagesNotVisible', stat: 'Maximum', label: 'In flight' },
      { metric: 'ApproximateNumberOfMessagesDelayed', stat: 'Maximum', label: 'Delayed' },
    ],
  },
  {
    title: 'Messages per period',
    testid: 'chart-throughput',
    metrics: [
      { metric: 'NumberOfMessagesSent', stat: 'Sum', label: 'Sent' },
      { metric: 'NumberOfMessagesReceived', stat: 'Sum', label: 'Received' },
      { metric: 'NumberOfMessagesDeleted', stat: 'Sum', label: 'Deleted' },
    ],
  },
  {
    title: 'Age of the oldest message (seconds)',
    testid: 'chart-age',
    metrics: [{ metric: 'ApproximateAgeOfOldestMessage', stat: 'Maximum', label: 'Oldest' }],
  },
];

/** Charts fetch at most this often, however often the page polls. */
const MIN_INTERVAL_MS = 6000;

export function queueCharts(queue: string) {
  const select = h(
    'select',
    { id: 'chart-range', testid: 'chart-range' },
    ...RANGES.map((r, i) => h('option', { value: String(i), selected: i === 1 }, r.label)),
  );
  const note = h('p', { class: 'muted', 'aria-live': 'polite' });
  const charts: TimeChart[] = CHARTS.map((c) =>
    timeChart({ title: c.title, series: c.metrics.map((m) => m.label), testid: c.testid }),
  );
  const el = section(
    'Metrics',
    h('label', { class: 'field inline', for: 'chart-range' }, h('span', null, 'Range'), select),
    note,
    h('div', { class: 'charts' }, ...charts.map((c) => c.el)),
  );

  let last = 0;
  let busy = false;
  const load = async (force: boolean) => {
    const r = RANGES[Number(select.value)] ?? RANGES[1];
    if (!r || busy || (!force && Date.now() - last < MIN_INTERVAL_MS)) return;
    busy = true;
    last = Date.now();
    try {
      const results = await Promise.all(
        CHARTS.map((c) =>
          Promise.all(
            c.metrics.map((m) =>
              api.metrics({
                namespace: 'AWS/SQS',
                metric: m.metric,
                stat: m.stat,
                dimensions: { QueueName: queue },
                period: r.period,
                range: r.range,
              }),
            ),
          ),
        ),
      );
      const now = Date.now();
      results.forEach((series, i) => {
        charts[i]?.setData(
          series.map((s): Point[] => s.points),
          [now - r.range * 1000, now],
        );
      });
      setText(note, `One point per ${r.period < 60 ? `${r.period} s` : `${r.period / 60} min`}.`);
    } catch (error) {
      // A chart that cannot load should not take the rest of the page down with it.
      setText(note, `Metrics unavailable: ${describeError(error)}`);
    } finally {
      busy = false;
    }
  };
  select.addEventListener('change', () => void load(true));

  return {
    el,
    refresh: () => load(false),
    destroy() {
      for (const c of charts) c.destroy();
    },
  };
}
