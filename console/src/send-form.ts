import { api } from './api';
import { h } from './dom';
import { runAction, section } from './ui';

export function sendSection(name: string, fifo: boolean, sent: () => Promise<void>): HTMLElement {
  const id = (s: string) => `send-${s}`;
  const body = h('textarea', { id: id('body'), rows: 5, required: true, spellcheck: false, testid: 'send-body' });
  body.value = JSON.stringify({ hello: 'from the Switchyard console' }, null, 2);
  const delay = h('input', { id: id('delay'), type: 'number', min: 0, max: 900, step: 1, value: '0' });
  const group = h('input', { id: id('group'), type: 'text', required: fifo, value: fifo ? 'console' : '' });
  const dedup = h('input', { id: id('dedup'), type: 'text' });
  const attrs = h('textarea', { id: id('attrs'), rows: 2, spellcheck: false, placeholder: 'name=value, one a line' });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'send-submit' }, 'Send');
  const field = (label: string, control: HTMLElement, hint?: string) =>
    h(
      'label',
      { class: 'field', for: control.id },
      h('span', null, label),
      control,
      hint ? h('small', { class: 'muted' }, hint) : null,
    );
  const form = h(
    'form',
    { testid: 'send-form' },
    field('Body', body),
    h(
      'div',
      { class: 'form-row' },
      fifo ? null : field('Delay (seconds)', delay),
      fifo ? field('Message group ID', group) : null,
      fifo ? field('Deduplication ID', dedup, 'Optional with content-based deduplication') : null,
    ),
    field('String attributes', attrs),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const attributes: Record<string, string> = {};
    for (const line of attrs.value.split('\n')) {
      const i = line.indexOf('=');
      if (line.trim() === '') continue;
      if (i <= 0) {
        attrs.setCustomValidity('Write each attribute as name=value on its own line.');
        attrs.reportValidity();
        return;
      }
      attributes[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    attrs.setCustomValidity('');
    await runAction(submit, 'Send', async () => {
      const { messageId } = await api.send(name, {
        body: body.value,
        delaySeconds: !fifo && delay.value ? Number(delay.value) : undefined,
        messageGroupId: fifo ? group.value : undefined,
        messageDeduplicationId: fifo && dedup.value ? dedup.value : undefined,
        attributes: Object.keys(attributes).length ? attributes : undefined,
      });
      await sent();
      return `Sent message ${messageId}.`;
    });
  });
  attrs.addEventListener('input', () => attrs.setCustomValidity(''));
  return section('Send a test message', form);
}
