// An event's path through the server, as a timeline: ingested, matched, invoked, received, deleted…
import type { TraceStep } from '../../src/console/api-types';
import { ApiFailure, api } from './api';
import { h, KeyedList, link, queueHref, replaceChildren, setText, traceHref } from './dom';
import { fmtTime, fmtTimePrecise, isoTime } from './format';
import { type Page, pageHeading, section } from './ui';

/** What each step is called on screen; an unknown step shows its own name. */
const STEP_LABELS: Record<string, string> = {
  ingested: 'Ingested (PutEvents)',
  matched: 'Rule matched',
  invoked: 'Target invoked',
  delivered: 'Delivered',
  'delivery-failed': 'Delivery failed',
  sent: 'Sent to queue',
  received: 'Received',
  deleted: 'Deleted',
  'dead-lettered': 'Dead-lettered',
  moved: 'Moved',
  replayed: 'Replayed',
};

const BAD_STEPS = new Set(['delivery-failed', 'dead-lettered', 'failed']);

export function tracePage(main: HTMLElement, eventId: string | undefined): Page {
  const input = h('input', {
    id: 'trace-id',
    type: 'search',
    required: true,
    value: eventId ?? '',
    placeholder: 'e.g. 6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    autocomplete: 'off',
    spellcheck: false,
    testid: 'trace-input',
  });
  const form = h(
    'form',
    { class: 'search', role: 'search', testid: 'trace-form' },
    h('label', { for: 'trace-id', class: 'field' }, h('span', null, 'Event ID'), input),
    h('button', { type: 'submit', class: 'primary', testid: 'trace-submit' }, 'Trace'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = input.value.trim();
    if (id) location.hash = traceHref(id);
  });
  const status = h('p', { class: 'muted', testid: 'trace-status' });
  const timeline = h('ol', { class: 'timeline', testid: 'trace-timeline' });
  const steps = new KeyedList<TraceStep & { key: string }>(timeline, (s) => s.key, stepItem);
  replaceChildren(
    main,
    pageHeading('Event trace'),
    form,
    eventId ? section('Path of the event', h('p', null, h('code', null, eventId)), status, timeline) : null,
  );
  if (!eventId) input.focus();

  return {
    async refresh() {
      if (!eventId) return;
      try {
        const trace = await api.trace(eventId);
        // Steps have no id of their own: the position and content tell them apart across polls.
        steps.set(trace.steps.map((s, i) => ({ ...s, key: `${i}:${s.step}:${s.at}` })));
        setText(
          status,
          trace.steps.length === 0 ? 'Nothing recorded for this event yet.' : `${trace.steps.length} steps.`,
        );
      } catch (error) {
        // A trace that is not there is an answer, not a broken page.
        if (error instanceof ApiFailure && error.status === 404) {
          steps.set([]);
          setText(status, `No trace for this event: ${error.code}: ${error.message}`);
          return;
        }
        throw error;
      }
    },
  };
}

function stepItem(step: TraceStep) {
  const details = h('dl', { class: 'attributes compact' });
  const el = h(
    'li',
    {
      class: `step${BAD_STEPS.has(step.step) ? ' step-bad' : ''}`,
      testid: 'trace-step',
      'data-step': step.step,
    },
    h('time', { dateTime: isoTime(step.at) }, fmtTimePrecise(step.at)),
    h('strong', { class: 'step-name' }, STEP_LABELS[step.step] ?? step.step),
    details,
  );
  let shown = '';
  const update = (next: TraceStep) => {
    const key = JSON.stringify(next.detail);
    if (key === shown) return;
    shown = key;
    replaceChildren(
      details,
      ...Object.entries(next.detail).map(([k, v]) =>
        h('div', null, h('dt', null, k), h('dd', null, detailValue(k, v))),
      ),
    );
  };
  return { el, update };
}

function detailValue(key: string, value: unknown): Node {
  if (typeof value === 'string') {
    const sqsArn = /^arn:aws:sqs:[^:]*:[^:]*:(.+)$/.exec(value);
    if (sqsArn?.[1]) return link(queueHref(sqsArn[1]), sqsArn[1], { title: value });
    if (/queue/i.test(key) && /^[\w.-]+$/.test(value)) return link(queueHref(value), value);
    if (/(^at$|time|At$)/.test(key) && /^\d{12,}$/.test(value)) return document.createTextNode(fmtTime(Number(value)));
    return h('code', null, value);
  }
  if (typeof value === 'number' && /(^at$|time|At$)/.test(key) && value > 1e12) {
    return document.createTextNode(fmtTime(value));
  }
  if (typeof value === 'object' && value !== null) return h('pre', { class: 'code' }, JSON.stringify(value, null, 2));
  return h('code', null, String(value));
}
