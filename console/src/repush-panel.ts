// The repush panel: the selected messages (moved at once) or all of them (a move task at a chosen rate, with its
// progress bar and cancel button), back to their source queue or to another one.
import type { MoveTask, QueueDetail } from '../../src/console/api-types';
import { api } from './api';
import { clear, h, setText } from './dom';
import { fmtInt, fmtTime, queueNameOfArn } from './format';
import { runAction, section } from './ui';

export interface MoveSection {
  el: HTMLElement;
  update(detail: QueueDetail): void;
  selectionChanged(n: number): void;
}

export function moveSection(
  name: string,
  isDlq: boolean,
  selection: () => string[],
  on: { moved: (ids: string[]) => Promise<void>; started: () => Promise<void> },
): MoveSection {
  const destination = h('select', { id: 'move-destination', testid: 'move-destination' });
  const scopeSelected = h('input', { type: 'radio', name: 'move-scope', value: 'selected', checked: true });
  const scopeAll = h('input', { type: 'radio', name: 'move-scope', value: 'all', testid: 'move-scope-all' });
  const selectedLabel = h('span', null, 'Selected messages (0)');
  const rate = h('input', {
    id: 'move-rate',
    type: 'number',
    min: 1,
    max: 500,
    step: 1,
    placeholder: 'as fast as allowed',
    testid: 'move-rate',
  });
  const button = h('button', { type: 'button', class: 'primary', testid: 'repush-button' }, isDlq ? 'Repush' : 'Move');
  const progress = h('div', { class: 'move-task', hidden: true, testid: 'move-task' });

  const scope = isDlq
    ? h(
        'fieldset',
        { class: 'inline-fields' },
        h('legend', null, 'Messages'),
        h('label', null, scopeSelected, ' ', selectedLabel),
        h('label', null, scopeAll, ' All messages in this queue (a move task)'),
      )
    : h('p', null, selectedLabel);
  const el = section(
    isDlq ? 'Repush' : 'Move messages',
    h(
      'p',
      { class: 'muted' },
      isDlq
        ? 'Send dead-lettered messages back to the queue they failed on, or to another queue.'
        : 'Send the selected messages to another queue (they are deleted here).',
    ),
    h(
      'div',
      { class: 'form-row' },
      scope,
      h('label', { class: 'field', for: 'move-destination' }, h('span', null, 'Destination'), destination),
      isDlq ? h('label', { class: 'field', for: 'move-rate' }, h('span', null, 'Messages per second'), rate) : null,
      h('div', { class: 'field-button' }, button),
    ),
    progress,
  );

  let selectedCount = 0;
  let destinations = '';
  const sync = () => {
    const all = scopeAll.checked;
    rate.disabled = !all;
    button.disabled = !all && selectedCount === 0;
    if (!isDlq && destination.value === '') button.disabled = true;
  };
  scopeSelected.addEventListener('change', sync);
  scopeAll.addEventListener('change', sync);
  destination.addEventListener('change', sync);

  button.addEventListener('click', async () => {
    const dest = destination.value || undefined;
    const where = dest ?? 'their source queues';
    if (isDlq && scopeAll.checked) {
      const perSecond = rate.value === '' ? undefined : Number(rate.value);
      await runAction(button, 'Repush', async () => {
        const { taskHandle } = await api.redrive(name, { destination: dest, maxPerSecond: perSecond });
        progress.dataset.handle = taskHandle;
        await on.started();
        return `Started moving every message to ${where}.`;
      });
      return;
    }
    const ids = selection();
    await runAction(button, isDlq ? 'Repush' : 'Move', async () => {
      const result = await api.moveMessages(name, { messageIds: ids, destination: dest });
      await on.moved(result.moved.map((m) => m.messageId));
      const problems = [
        result.notFound.length ? `${result.notFound.length} not found` : '',
        result.noDestination.length ? `${result.noDestination.length} with no source queue to go back to` : '',
      ].filter(Boolean);
      return `Moved ${result.moved.length} message(s) to ${where}${problems.length ? ` (${problems.join(', ')})` : ''}.`;
    });
  });

  const bar = h('div', { class: 'progress-bar' });
  const meter = h(
    'div',
    {
      class: 'progress',
      role: 'progressbar',
      'aria-valuemin': 0,
      'aria-label': 'Move task progress',
      testid: 'move-progress',
    },
    bar,
  );
  const label = h('p', { class: 'move-label', testid: 'move-status' });
  const cancel = h('button', { type: 'button', testid: 'move-cancel' }, 'Cancel move');
  progress.append(label, meter, cancel);
  let task: MoveTask | undefined;
  cancel.addEventListener('click', async () => {
    const handle = task?.taskHandle;
    if (!handle) return;
    await runAction(cancel, 'Cancel move task', async () => {
      const { moved } = await api.cancelMoveTask(handle);
      await on.started();
      return `Cancelled the move task after ${moved} message(s).`;
    });
  });

  return {
    el,
    selectionChanged(n) {
      selectedCount = n;
      setText(selectedLabel, `Selected messages (${n})`);
      sync();
    },
    update(detail) {
      const options = JSON.stringify(detail.otherQueues);
      if (options !== destinations) {
        destinations = options;
        const chosen = destination.value;
        clear(destination);
        destination.append(
          isDlq
            ? h('option', { value: '' }, 'Back to the source queue')
            : h('option', { value: '' }, 'Choose a queue…'),
          ...detail.otherQueues.map((q) => h('option', { value: q }, q)),
        );
        destination.value = detail.otherQueues.includes(chosen) ? chosen : '';
        sync();
      }
      task = detail.moveTasks[0];
      progress.hidden = !task;
      if (!task) return;
      const pct =
        task.toMove > 0 ? Math.min(100, (task.moved / task.toMove) * 100) : task.status === 'COMPLETED' ? 100 : 0;
      bar.style.width = `${pct}%`;
      meter.setAttribute('aria-valuemax', String(task.toMove));
      meter.setAttribute('aria-valuenow', String(task.moved));
      meter.setAttribute('aria-valuetext', `${task.moved} of ${task.toMove} moved, ${task.status.toLowerCase()}`);
      meter.dataset.status = task.status;
      meter.classList.toggle('done', task.status === 'COMPLETED');
      meter.classList.toggle('failed', task.status === 'FAILED' || task.status === 'CANCELLED');
      const to = task.destinationArn ? queueNameOfArn(task.destinationArn) : 'source queues';
      setText(
        label,
        `${task.status === 'RUNNING' ? 'Moving' : 'Last move'} to ${to}: ${fmtInt(task.moved)} of ${fmtInt(task.toMove)} · ${task.status}` +
          (task.maxPerSecond ? ` · ${task.maxPerSecond}/s` : '') +
          ` · started ${fmtTime(task.startedAt)}` +
          (task.failureReason ? ` · ${task.failureReason}` : ''),
      );
      cancel.hidden = task.status !== 'RUNNING' || !task.taskHandle;
    },
  };
}
