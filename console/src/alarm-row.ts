// One alarm as a table row (the overview and the alarms page), and how an alarm's metric and condition read. Kept out
// of page-alarms so that the overview does not load the charts that page needs.
import type { AlarmSummary } from '../../src/console/api-types';
import { alarmHref, h, link, replaceChildren, setText } from './dom';
import { fmtTime } from './format';
import { stateBadge } from './ui';

const COMPARISONS: Record<string, string> = {
  GreaterThanOrEqualToThreshold: '≥',
  GreaterThanThreshold: '>',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '≤',
  LessThanLowerOrGreaterThanUpperThreshold: 'outside the band',
  LessThanLowerThreshold: '< lower',
  GreaterThanUpperThreshold: '> upper',
};

export function metricText(a: AlarmSummary): string {
  if (!a.metricName) return 'metric math';
  const dims = a.dimensions.map((d) => `${d.name}=${d.value}`).join(', ');
  return `${a.namespace ?? ''} ${a.metricName}${dims ? ` (${dims})` : ''}`;
}

export function conditionText(a: AlarmSummary): string {
  const op = COMPARISONS[a.comparison] ?? a.comparison;
  const stat = a.statistic ? `${a.statistic} ` : '';
  const period = a.period ? ` over ${a.period} s` : '';
  return `${stat}${op} ${a.threshold ?? '?'}${period}`;
}

/**
 * One alarm as a table row, kept current by `update`: name, state and reason, and with `full` also its metric and
 * condition (the alarms page; the overview shows the brief row).
 */
export function alarmRow(a: AlarmSummary, columns: 'brief' | 'full') {
  const state = h('td');
  const metric = h('td', { class: 'wrap' });
  const condition = h('td');
  const reason = h('td', { class: 'wrap' });
  const since = h('td');
  const el = h(
    'tr',
    { testid: `alarm-row-${a.name}` },
    h('th', { scope: 'row' }, link(alarmHref(a.name), a.name)),
    state,
    ...(columns === 'full' ? [metric, condition] : []),
    reason,
    since,
  );
  let last = '';
  const update = (next: AlarmSummary) => {
    if (next.state !== last) {
      last = next.state;
      replaceChildren(state, stateBadge(next.state));
      el.classList.toggle('row-danger', next.state === 'ALARM');
    }
    if (columns === 'full') {
      setText(metric, metricText(next));
      setText(condition, conditionText(next));
    }
    setText(reason, next.reason);
    setText(since, fmtTime(next.updatedAt));
  };
  return { el, update };
}
