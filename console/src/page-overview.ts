// Every queue with its counts, rates and depth; every alarm's state; the buses' throughput.
import type { AlarmSummary, BusSummary, QueueSummary } from '../../src/console/api-types';
import { alarmRow } from './alarm-row';
import { api } from './api';
import { h, KeyedList, link, queueHref, replaceChildren, setText, table } from './dom';
import { fmtAge, fmtInt, fmtRate } from './format';
import { sparkline, updateSparkline } from './sparkline';
import { type Page, pageHeading, section } from './ui';

export function overviewPage(main: HTMLElement): Page {
  const queueBody = h('tbody');
  const alarmBody = h('tbody');
  const busBody = h('tbody');
  const summary = h('p', { class: 'muted', testid: 'overview-summary' });

  const emptyRow = (cols: number, text: string) => () =>
    h('tr', null, h('td', { colSpan: cols, class: 'muted' }, text));
  const queues = new KeyedList<QueueSummary>(queueBody, (q) => q.name, queueRow, emptyRow(9, 'No queues yet.'));
  const alarms = new KeyedList<AlarmSummary>(
    alarmBody,
    (a) => a.name,
    (a) => alarmRow(a, 'brief'),
    emptyRow(4, 'No alarms.'),
  );
  const buses = new KeyedList<BusSummary>(busBody, (b) => b.name, busRow, emptyRow(4, 'No buses.'));

  replaceChildren(
    main,
    pageHeading('Overview'),
    summary,
    section(
      'Queues',
      table(
        'Queues',
        [
          'Queue',
          'Visible',
          'In flight',
          'Delayed',
          'Oldest',
          'Sent',
          'Deleted',
          'Depth (30 min)',
          'Dead-letter queue',
        ],
        queueBody,
        { class: 'data', testid: 'queues-table' },
      ),
    ),
    h(
      'div',
      { class: 'grid-2' },
      section(
        'Alarms',
        table('Alarms', ['Alarm', 'State', 'Reason', 'Since'], alarmBody, { class: 'data', testid: 'alarms-table' }),
      ),
      section(
        'Buses',
        table('Buses', ['Bus', 'Rules', 'Matched', 'Throughput (30 min)'], busBody, {
          class: 'data',
          testid: 'buses-table',
        }),
      ),
    ),
  );

  return {
    async refresh() {
      const overview = await api.overview();
      const sorted = [...overview.queues].sort((a, b) => a.name.localeCompare(b.name));
      queues.set(sorted);
      alarms.set(overview.alarms);
      buses.set(overview.buses);
      const inAlarm = overview.alarms.filter((a) => a.state === 'ALARM').length;
      const dlqMessages = overview.queues
        .filter((q) => q.deadLetterSources.length > 0)
        .reduce((n, q) => n + q.visible + q.inFlight + q.delayed, 0);
      setText(
        summary,
        `${overview.queues.length} queues · ${overview.buses.length} buses · ${inAlarm} of ${overview.alarms.length} alarms in ALARM · ${fmtInt(dlqMessages)} message${dlqMessages === 1 ? '' : 's'} in dead-letter queues`,
      );
    },
  };
}

function cell(col: string, ...children: (Node | string)[]): HTMLTableCellElement {
  return h('td', { 'data-col': col }, ...children);
}

function queueRow(q: QueueSummary) {
  const kind = h('span', { class: 'tag' });
  const visible = cell('visible');
  const inFlight = cell('in-flight');
  const delayed = cell('delayed');
  const oldest = cell('oldest');
  const sent = cell('send-rate');
  const deleted = cell('delete-rate');
  const spark = sparkline(q.depth, `Depth of ${q.name}`);
  const dlq = cell('dlq');
  const el = h(
    'tr',
    { testid: `queue-row-${q.name}`, 'data-queue': q.name },
    h('th', { scope: 'row' }, link(queueHref(q.name), q.name), ' ', kind),
    visible,
    inFlight,
    delayed,
    oldest,
    sent,
    deleted,
    cell('depth', spark),
    dlq,
  );
  let dlqKey = '';
  const update = (next: QueueSummary) => {
    const isDlq = next.deadLetterSources.length > 0;
    setText(kind, isDlq ? 'DLQ' : next.fifo ? 'FIFO' : '');
    kind.hidden = !isDlq && !next.fifo;
    kind.classList.toggle('tag-dlq', isDlq);
    setText(visible, fmtInt(next.visible));
    setText(inFlight, fmtInt(next.inFlight));
    setText(delayed, fmtInt(next.delayed));
    setText(oldest, fmtAge(next.oldestMessageAgeSeconds));
    setText(sent, fmtRate(next.sendRate));
    setText(deleted, fmtRate(next.deleteRate));
    updateSparkline(spark, next.depth, `Depth of ${next.name}`);
    // A dead-lettered message on a source queue's row is what the operator is looking for: highlighted.
    el.classList.toggle('row-warn', isDlq && next.visible > 0);
    const d = next.deadLetterQueue;
    const key = d ? `${d.name}:${d.visible}` : '';
    if (key !== dlqKey) {
      dlqKey = key;
      replaceChildren(
        dlq,
        d
          ? h(
              'span',
              { class: 'dlq' },
              link(queueHref(d.name), d.name),
              ' ',
              h(
                'span',
                {
                  class: d.visible > 0 ? 'badge badge-danger' : 'badge',
                  testid: `dlq-depth-${next.name}`,
                  'data-count': d.visible,
                  'aria-label': `${d.visible} messages in ${d.name}`,
                },
                fmtInt(d.visible),
              ),
            )
          : h('span', { class: 'muted' }, '—'),
      );
    }
  };
  return { el, update };
}

function busRow(b: BusSummary) {
  const rules = h('td');
  const rate = h('td');
  const spark = sparkline(b.throughput, `Events matched on ${b.name}`);
  const el = h(
    'tr',
    { testid: `bus-row-${b.name}` },
    h('th', { scope: 'row' }, link('#/buses', b.name)),
    rules,
    rate,
    h('td', null, spark),
  );
  const update = (next: BusSummary) => {
    setText(rules, fmtInt(next.ruleCount));
    setText(rate, fmtRate(next.matchedRate));
    updateSparkline(spark, next.throughput, `Events matched on ${next.name}`);
  };
  return { el, update };
}
