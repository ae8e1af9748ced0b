// One queue: counts, metric charts, its messages (peeked: their visibility is left alone), a test send, purge.
// A dead-letter queue (one that other queues' RedrivePolicy names) also gets the repush panel and failure columns.
import type { MessagePage, PeekedMessage, QueueDetail } from '../../src/console/api-types';
import { api } from './api';
import { clear, confirmDialog, h, KeyedList, link, queueHref, replaceChildren, setText, table } from './dom';
import { fmtAge, fmtInt, fmtRate, fmtTime, prettyJson } from './format';
import { messageRow } from './message-row';
import { queueCharts } from './queue-charts';
import { moveSection } from './repush-panel';
import { sendSection } from './send-form';
import { type Page, pageHeading, runAction, section } from './ui';

const PAGE_SIZE = 50;

export function queuePage(main: HTMLElement, name: string): Page {
  const heading = pageHeading(name);
  const body = h('div');
  replaceChildren(main, h('p', { class: 'crumbs' }, link('#/', 'Overview'), ' / queue'), heading, body);
  let view: QueueView | undefined;
  return {
    async refresh() {
      const [detail, messages] = await Promise.all([api.queue(name), api.messages(name, PAGE_SIZE, view?.cursor())]);
      if (!view) {
        view = queueView(name, detail, heading);
        body.appendChild(view.el);
      }
      await view.update(detail, messages);
    },
    destroy() {
      view?.destroy();
    },
  };
}

interface QueueView {
  el: HTMLElement;
  cursor(): string | undefined;
  update(detail: QueueDetail, page: MessagePage): Promise<void>;
  destroy(): void;
}

function queueView(name: string, first: QueueDetail, heading: HTMLElement): QueueView {
  const isDlq = first.deadLetterSources.length > 0;
  let detail = first;
  heading.append(
    ' ',
    h('span', { class: 'tag', hidden: !first.fifo }, 'FIFO'),
    ' ',
    h('span', { class: 'tag tag-dlq', hidden: !isDlq, testid: 'dlq-tag' }, 'Dead-letter queue'),
  );

  // ---- counts and relations ----
  const stats = h('dl', { class: 'stats', testid: 'queue-stats' });
  const relations = h('p', { class: 'relations' });

  // ---- messages ----
  const selected = new Set<string>();
  let pageMessages: PeekedMessage[] = [];
  /** Cursors of the pages before the one shown; the shown page's own cursor is `cursor`. */
  const cursors: (string | undefined)[] = [];
  let cursor: string | undefined;
  let nextCursor: string | undefined;

  const selectAll = h('input', {
    type: 'checkbox',
    'aria-label': 'Select every message on this page',
    testid: 'select-all',
  });
  const columns = [
    '',
    'Message',
    'State',
    'Sent',
    'Receives',
    'First receive',
    'Last receive',
    ...(isDlq ? ['Source queue', 'Failure'] : []),
    'Event',
    'Body',
  ];
  // Each message is a <tbody> of two rows: its summary, and the details it expands to across the whole table.
  const messagesTable = table('Messages', columns, null, { class: 'data messages', testid: 'messages-table' });
  const tableEl = messagesTable.querySelector('table') as HTMLTableElement;
  const thead = tableEl.querySelector('thead') as HTMLTableSectionElement;
  // The first header cell holds the select-all box instead of a title.
  const firstTh = thead.querySelector('th');
  if (firstTh) replaceChildren(firstTh, selectAll);
  const rows = new KeyedList<PeekedMessage>(
    tableEl,
    (m) => m.messageId,
    (m) => messageRow(m, isDlq, columns.length, selected, onSelectionChange),
    () =>
      h(
        'tbody',
        null,
        h(
          'tr',
          null,
          h('td', { colSpan: columns.length, class: 'muted', testid: 'no-messages' }, 'No messages in this queue.'),
        ),
      ),
    thead,
  );
  const selectionInfo = h('span', { class: 'muted', testid: 'selection-count' });
  const deleteButton = h('button', { type: 'button', class: 'danger', testid: 'delete-selected' }, 'Delete selected');
  const pageInfo = h('span', { class: 'muted' });
  const prevButton = h('button', { type: 'button' }, '← Previous');
  const nextButton = h('button', { type: 'button' }, 'Next →');
  const messagesSection = section(
    'Messages',
    h(
      'p',
      { class: 'muted' },
      'Listed without receiving them: their visibility and receive counts are left as they are.',
    ),
    h(
      'div',
      { class: 'toolbar' },
      selectionInfo,
      deleteButton,
      h(
        'a',
        {
          class: 'button',
          href: api.downloadUrl(name),
          download: `${name}-messages.json`,
          testid: 'download-json',
        },
        'Download all as JSON',
      ),
    ),
    messagesTable,
    h('div', { class: 'toolbar' }, prevButton, pageInfo, nextButton),
  );

  function onSelectionChange(): void {
    const onPage = pageMessages.filter((m) => selected.has(m.messageId)).length;
    selectAll.checked = onPage > 0 && onPage === pageMessages.length;
    selectAll.indeterminate = onPage > 0 && onPage < pageMessages.length;
    setText(selectionInfo, `${selected.size} selected`);
    deleteButton.disabled = selected.size === 0;
    repush?.selectionChanged(selected.size);
  }
  selectAll.addEventListener('change', () => {
    for (const m of pageMessages) {
      if (selectAll.checked) selected.add(m.messageId);
      else selected.delete(m.messageId);
    }
    for (const box of tableEl.querySelectorAll<HTMLInputElement>('tbody input[type=checkbox]')) {
      box.checked = selectAll.checked;
    }
    onSelectionChange();
  });
  deleteButton.addEventListener('click', async () => {
    const ids = [...selected];
    const ok = await confirmDialog({
      title: `Delete ${ids.length} message${ids.length === 1 ? '' : 's'}?`,
      message: `They are removed from ${name} for good.`,
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!ok) return;
    await runAction(deleteButton, 'Delete messages', async () => {
      const result = await api.deleteMessages(name, ids);
      for (const id of ids) selected.delete(id);
      onSelectionChange();
      await reload();
      const missing = result.notFound.length;
      return `Deleted ${result.deleted.length} message(s)${missing ? `; ${missing} were already gone` : ''}.`;
    });
  });
  prevButton.addEventListener('click', () => {
    cursor = cursors.pop();
    void reload();
  });
  nextButton.addEventListener('click', () => {
    if (!nextCursor) return;
    cursors.push(cursor);
    cursor = nextCursor;
    void reload();
  });

  /** Fetches what an action changed now, rather than at the next poll. */
  async function reload(): Promise<void> {
    const [d, p] = await Promise.all([api.queue(name), api.messages(name, PAGE_SIZE, cursor)]);
    await view.update(d, p);
  }

  // ---- repush (dead-letter queues) and move (any queue) ----
  const repush = moveSection(name, isDlq, () => [...selected], {
    moved: async (ids) => {
      for (const id of ids) selected.delete(id);
      onSelectionChange();
      await reload();
    },
    started: reload,
  });

  // ---- send, purge ----
  const send = sendSection(name, first.fifo, reload);
  const purgeButton = h('button', { type: 'button', class: 'danger', testid: 'purge-button' }, 'Purge queue…');
  purgeButton.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: `Purge ${name}?`,
      message: 'Every message of the queue is deleted, including messages in flight. This cannot be undone.',
      confirmLabel: 'Purge',
      danger: true,
      typeToConfirm: name,
    });
    if (!ok) return;
    await runAction(purgeButton, 'Purge', async () => {
      await api.purge(name);
      selected.clear();
      onSelectionChange();
      await reload();
      return `Purged ${name}.`;
    });
  });

  // ---- charts, attributes ----
  const charts = queueCharts(name);
  const attributes = h('dl', { class: 'attributes', testid: 'queue-attributes' });
  const tags = h('dl', { class: 'attributes' });

  const el = h(
    'div',
    { class: 'queue-page' },
    stats,
    relations,
    isDlq ? repush.el : null,
    messagesSection,
    isDlq ? null : repush.el,
    h('div', { class: 'grid-2' }, send, section('Danger zone', h('p', null, 'Delete every message.'), purgeButton)),
    charts.el,
    h(
      'details',
      { class: 'card' },
      h('summary', null, h('h2', { class: 'inline' }, 'Attributes and tags')),
      attributes,
      h('h3', null, 'Tags'),
      tags,
    ),
  );

  let lastAttributes = '';
  const view = {
    el,
    cursor: () => cursor,
    async update(next: QueueDetail, page: MessagePage) {
      detail = next;
      renderStats(stats, detail);
      renderRelations(relations, detail);
      pageMessages = page.messages;
      nextCursor = page.nextCursor;
      rows.set(page.messages);
      const present = new Set(page.messages.map((m) => m.messageId));
      for (const id of selected) if (!present.has(id)) selected.delete(id);
      onSelectionChange();
      prevButton.disabled = cursors.length === 0 && cursor === undefined;
      nextButton.disabled = !nextCursor;
      setText(pageInfo, `Page ${cursors.length + (cursor === undefined ? 1 : 2)}`);
      repush.update(detail);
      const key = JSON.stringify([detail.attributes, detail.tags]);
      if (key !== lastAttributes) {
        lastAttributes = key;
        renderDl(attributes, detail.attributes);
        renderDl(tags, detail.tags);
      }
      await charts.refresh();
    },
    destroy() {
      charts.destroy();
    },
  };
  return view;
}

function renderStats(stats: HTMLElement, q: QueueDetail): void {
  const items: [string, string, string][] = [
    ['Visible', fmtInt(q.visible), 'visible'],
    ['In flight', fmtInt(q.inFlight), 'in-flight'],
    ['Delayed', fmtInt(q.delayed), 'delayed'],
    ['Oldest message', fmtAge(q.oldestMessageAgeSeconds), 'oldest'],
    ['Sent', fmtRate(q.sendRate), 'send-rate'],
    ['Deleted', fmtRate(q.deleteRate), 'delete-rate'],
  ];
  if (stats.childElementCount === 0) {
    for (const [label, , key] of items) {
      stats.append(h('div', null, h('dt', null, label), h('dd', { 'data-stat': key })));
    }
  }
  for (const [, value, key] of items) {
    const dd = stats.querySelector(`[data-stat="${key}"]`);
    if (dd) setText(dd, value);
  }
}

function renderRelations(el: HTMLElement, q: QueueDetail): void {
  const key = JSON.stringify([q.deadLetterQueue, q.deadLetterSources, q.maxReceiveCount]);
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  clear(el);
  if (q.deadLetterQueue) {
    const d = q.deadLetterQueue;
    el.append(
      'Dead-letter queue: ',
      link(queueHref(d.name), d.name),
      ' ',
      h('span', { class: d.visible > 0 ? 'badge badge-danger' : 'badge', testid: 'dlq-depth' }, fmtInt(d.visible)),
      ` after ${q.maxReceiveCount ?? '?'} receives. `,
    );
  }
  if (q.deadLetterSources.length > 0) {
    el.append('Dead-letter queue of: ');
    q.deadLetterSources.forEach((source, i) => {
      if (i > 0) el.append(', ');
      el.append(link(queueHref(source), source));
    });
    el.append('.');
  }
}

function renderDl(dl: HTMLElement, record: Record<string, string>): void {
  clear(dl);
  const entries = Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) dl.append(h('p', { class: 'muted' }, 'None.'));
  for (const [k, v] of entries) {
    const timestamp = /Timestamp$/.test(k) && /^\d+$/.test(v) ? ` (${fmtTime(Number(v) * 1000)})` : '';
    dl.append(h('div', null, h('dt', null, k), h('dd', null, h('code', null, prettyJson(v)), timestamp)));
  }
}
