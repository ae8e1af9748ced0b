// One peeked message as a table row: its state, receive counts and times, source queue, failure and event link.
import type { PeekedMessage } from '../../src/console/api-types';
import { clear, h, link, queueHref, replaceChildren, setText, traceHref } from './dom';
import { fmtTime, isoTime, prettyJson, queueNameOfArn, truncate } from './format';

export function messageRow(m: PeekedMessage, isDlq: boolean, span: number, selected: Set<string>, changed: () => void) {
  const box = h('input', { type: 'checkbox', 'aria-label': `Select message ${m.messageId}`, testid: 'message-select' });
  box.addEventListener('change', () => {
    if (box.checked) selected.add(m.messageId);
    else selected.delete(m.messageId);
    changed();
  });
  const detailId = `message-${m.messageId}`;
  const expand = h(
    'button',
    {
      type: 'button',
      class: 'expand',
      'aria-expanded': 'false',
      'aria-controls': detailId,
      title: m.messageId,
      testid: 'message-expand',
    },
    h('span', { class: 'chevron', 'aria-hidden': 'true' }),
    h('code', null, m.messageId.slice(0, 8)),
    h('span', { class: 'visually-hidden' }, ` details of message ${m.messageId}`),
  );
  const state = h('td', { 'data-col': 'state' });
  const sent = h('td', { 'data-col': 'sent' });
  const receives = h('td', { 'data-col': 'receives', testid: 'message-receive-count' });
  const firstReceive = h('td', { 'data-col': 'first-receive' });
  const lastReceive = h('td', { 'data-col': 'last-receive' });
  const source = h('td', { 'data-col': 'source', testid: 'message-source' });
  const failure = h('td', { 'data-col': 'failure', class: 'wrap', testid: 'message-failure' });
  const event = h('td', { 'data-col': 'event' });
  const preview = h('td', { class: 'body-preview', 'data-col': 'body' });
  const full = h('pre', { class: 'message-body', testid: 'message-body' });
  const more = h('dl', { class: 'attributes compact' });
  const detailRow = h(
    'tr',
    { id: detailId, class: 'message-detail', hidden: true },
    h('td', { colSpan: span }, h('div', { class: 'detail-grid' }, h('div', null, h('h3', null, 'Body'), full), more)),
  );
  const el = h(
    'tbody',
    { testid: `message-row-${m.messageId}`, 'data-message-id': m.messageId, class: 'message' },
    h(
      'tr',
      null,
      h('td', null, box),
      h('th', { scope: 'row' }, expand),
      state,
      sent,
      receives,
      firstReceive,
      lastReceive,
      isDlq ? source : null,
      isDlq ? failure : null,
      event,
      preview,
    ),
    detailRow,
  );
  expand.addEventListener('click', () => {
    const open = detailRow.hidden;
    detailRow.hidden = !open;
    expand.setAttribute('aria-expanded', String(open));
  });
  let lastKey = '';
  const update = (next: PeekedMessage) => {
    box.checked = selected.has(next.messageId);
    const a = next.attributes;
    setText(state, next.state);
    state.className = `msg-${next.state}`;
    const sentAt = a.SentTimestamp;
    setText(sent, fmtTime(sentAt));
    sent.title = isoTime(sentAt);
    setText(receives, a.ApproximateReceiveCount ?? '0');
    setText(firstReceive, fmtTime(a.ApproximateFirstReceiveTimestamp));
    setText(lastReceive, fmtTime(next.lastReceivedAt));
    const key = JSON.stringify([next.attributes, next.messageAttributes, next.failure, next.eventId, next.body]);
    if (key === lastKey) return;
    lastKey = key;
    const sourceName = queueNameOfArn(a.DeadLetterQueueSourceArn);
    replaceChildren(source, sourceName ? link(queueHref(sourceName), sourceName) : h('span', { class: 'muted' }, '—'));
    replaceChildren(failure, failureText(next));
    replaceChildren(
      event,
      next.eventId
        ? link(traceHref(next.eventId), 'Trace', {
            testid: 'message-event-link',
            'aria-label': `Trace of event ${next.eventId}`,
          })
        : h('span', { class: 'muted' }, '—'),
    );
    setText(preview, truncate(next.body.replace(/\s+/g, ' '), 60));
    setText(full, prettyJson(next.body));
    clear(more);
    const extra: [string, string][] = [
      ['Message ID', next.messageId],
      ['MD5 of body', next.md5OfBody],
      ['Visible at', fmtTime(next.visibleAt)],
      ...(next.eventId ? [['Event ID', next.eventId] as [string, string]] : []),
      ...Object.entries(next.messageAttributes).map(([k, v]): [string, string] => [
        `Attribute ${k} (${v.DataType})`,
        v.StringValue ?? v.BinaryValue ?? '',
      ]),
      ...Object.entries(next.attributes).map(([k, v]): [string, string] => [
        k,
        /Timestamp$/.test(k) ? `${v} (${fmtTime(v)})` : v,
      ]),
    ];
    for (const [k, v] of extra) more.append(h('div', null, h('dt', null, k), h('dd', null, v)));
  };
  return { el, update };
}

function failureText(m: PeekedMessage): Node {
  const f = m.failure;
  if (!f) return h('span', { class: 'muted' }, 'Not recorded');
  const details = [
    f.source === 'target' ? 'Rule target' : 'Consumer',
    f.count !== undefined ? `${f.count} attempt(s)` : '',
    f.at !== undefined ? fmtTime(f.at) : '',
    f.ruleArn ? `rule ${f.ruleArn.split('/').pop()}` : '',
  ].filter(Boolean);
  return h(
    'span',
    null,
    f.code ? h('code', { class: 'error-code' }, f.code) : null,
    f.code ? ' ' : null,
    f.message,
    h('br'),
    h('small', { class: 'muted' }, details.join(' · ')),
  );
}
