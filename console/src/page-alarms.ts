// Alarms: the list with their states, and one alarm with its history and its metric against the threshold.
import type { AlarmDetail, AlarmSummary } from '../../src/console/api-types';
import { alarmRow, conditionText, metricText } from './alarm-row';
import { api } from './api';
import { timeChart } from './chart';
import { clear, h, KeyedList, link, replaceChildren, setText, table } from './dom';
import { fmtTime, isoTime } from './format';
import { type Page, pageHeading, section, stateBadge } from './ui';

export function alarmsPage(main: HTMLElement): Page {
  const tbody = h('tbody');
  const rows = new KeyedList<AlarmSummary>(
    tbody,
    (a) => a.name,
    (a) => alarmRow(a, 'full'),
    () => h('tr', null, h('td', { colSpan: 6, class: 'muted' }, 'No alarms.')),
  );
  replaceChildren(
    main,
    pageHeading('Alarms'),
    section(
      'Alarms',
      table('Alarms', ['Alarm', 'State', 'Metric', 'Condition', 'Reason', 'Since'], tbody, { class: 'data' }),
    ),
  );
  return {
    async refresh() {
      const { alarms } = await api.alarms();
      rows.set([...alarms].sort((a, b) => a.name.localeCompare(b.name)));
    },
  };
}

export function alarmPage(main: HTMLElement, name: string): Page {
  const state = h('span', { testid: 'alarm-state' });
  const reason = h('p', { class: 'reason' });
  const config = h('dl', { class: 'attributes', testid: 'alarm-config' });
  const chart = timeChart({ title: 'Metric (last 3 hours)', series: ['Value'], testid: 'alarm-chart', height: 240 });
  const thresholdNote = h('p', { class: 'muted' });
  const history = h('ol', { class: 'timeline', testid: 'alarm-history' });
  replaceChildren(
    main,
    h('p', { class: 'crumbs' }, link('#/alarms', 'Alarms'), ' / alarm'),
    pageHeading(name, ' ', state),
    reason,
    section('Metric and threshold', thresholdNote, chart.el),
    h('div', { class: 'grid-2' }, section('Configuration', config), section('History', history)),
  );
  let lastState = '';
  let lastHistory = '';
  return {
    async refresh() {
      const a: AlarmDetail = await api.alarm(name);
      if (a.state !== lastState) {
        lastState = a.state;
        replaceChildren(state, stateBadge(a.state));
      }
      setText(reason, a.reason);
      chart.setThreshold(a.threshold);
      chart.setData([a.metric], [Date.now() - 3 * 3600_000, Date.now()]);
      setText(
        thresholdNote,
        a.metricName
          ? `${metricText(a)}: alarm when ${conditionText(a)}. The dashed line is the threshold.`
          : 'A metric-math alarm: no single metric to chart.',
      );
      clear(config);
      const rows: [string, string][] = [
        ['Metric', metricText(a)],
        ['Condition', conditionText(a)],
        ['Evaluation periods', String(a.evaluationPeriods ?? '—')],
        ['Datapoints to alarm', String(a.datapointsToAlarm ?? a.evaluationPeriods ?? '—')],
        ['Missing data', a.treatMissingData ?? 'missing'],
        ['Actions', a.actionsEnabled ? 'enabled' : 'disabled'],
        ['On ALARM', a.alarmActions.join(', ') || '—'],
        ['On OK', a.okActions.join(', ') || '—'],
        ['Description', a.description ?? '—'],
      ];
      for (const [k, v] of rows) config.append(h('div', null, h('dt', null, k), h('dd', null, v)));
      const key = JSON.stringify(a.history);
      if (key !== lastHistory) {
        lastHistory = key;
        replaceChildren(
          history,
          ...(a.history.length === 0
            ? [h('li', { class: 'muted' }, 'No history yet.')]
            : a.history.map((entry) =>
                h(
                  'li',
                  { class: 'step' },
                  h('time', { dateTime: isoTime(entry.at) }, fmtTime(entry.at)),
                  h('strong', { class: 'step-name' }, entry.type),
                  h('p', null, entry.summary),
                ),
              )),
        );
      }
    },
    destroy() {
      chart.destroy();
    },
  };
}
