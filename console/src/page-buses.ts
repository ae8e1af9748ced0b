// Buses and their rules (patterns, state, targets, counts), enable/disable, and the rule tester.
import type { BusList, RuleInfo, RuleTestResult, TargetInfo } from '../../src/console/api-types';
import { api } from './api';
import { h, KeyedList, link, queueHref, replaceChildren, setText, table } from './dom';
import { fmtInt, fmtRate, prettyJson, truncate } from './format';
import { type Page, pageHeading, runAction, section } from './ui';

type Bus = BusList['buses'][number];

const SAMPLE_EVENT = {
  source: 'switchyard.orders',
  'detail-type': 'Order Created',
  detail: {
    marketplace: 'amazon-de',
    sellerId: 'key-0042',
    orderId: 'order-1001',
    version: 1,
    total: { amount: 129.9, currency: 'EUR' },
  },
};

export function busesPage(main: HTMLElement): Page {
  const list = h('div', { class: 'buses' });
  const buses = new KeyedList<Bus>(
    list,
    (b) => b.name,
    busSection,
    () => h('p', { class: 'muted' }, 'No buses.'),
  );
  const tester = ruleTester();
  replaceChildren(main, pageHeading('Buses and rules'), tester.el, list);
  return {
    async refresh() {
      const result = await api.buses();
      buses.set(result.buses);
      tester.setBuses(result.buses.map((b) => b.name));
    },
  };
}

function busSection(bus: Bus) {
  const titleId = `bus-${bus.name}`;
  const meta = h('p', { class: 'muted' });
  const tbody = h('tbody');
  const rules = new KeyedList<RuleInfo>(
    tbody,
    (r) => r.name,
    ruleRow,
    () => h('tr', null, h('td', { colSpan: 7, class: 'muted' }, 'No rules on this bus.')),
  );
  const el = h(
    'section',
    { class: 'card', 'aria-labelledby': titleId, testid: `bus-${bus.name}` },
    h('h2', { id: titleId }, 'Bus ', h('code', null, bus.name)),
    meta,
    table(
      `Rules of ${bus.name}`,
      ['Rule', 'State', 'Pattern or schedule', 'Targets', 'Matched (24 h)', 'Failed (24 h)', ''],
      tbody,
      { class: 'data rules' },
    ),
  );
  const update = (next: Bus) => {
    setText(
      meta,
      [next.description, `${fmtInt(next.ruleCount)} rules`, `${fmtRate(next.matchedRate)} matched`]
        .filter(Boolean)
        .join(' · '),
    );
    rules.set(next.rules);
  };
  return { el, update };
}

function ruleRow(rule: RuleInfo) {
  const state = h('td');
  const pattern = h('td', { class: 'pattern-cell' });
  const targets = h('td', { class: 'wrap' });
  const matched = h('td', { 'data-col': 'matched' });
  const failed = h('td', { 'data-col': 'failed' });
  const toggle = h('button', { type: 'button', testid: `rule-toggle-${rule.name}` });
  const description = h('small', { class: 'muted' });
  const el = h(
    'tr',
    { testid: `rule-row-${rule.name}` },
    h('th', { scope: 'row' }, rule.name, h('br'), description),
    state,
    pattern,
    targets,
    matched,
    failed,
    h('td', null, toggle),
  );
  let current = rule;
  toggle.addEventListener('click', async () => {
    const enable = current.state !== 'ENABLED';
    await runAction(toggle, enable ? 'Enable rule' : 'Disable rule', async () => {
      const updated = await api.setRuleEnabled(current.bus, current.name, enable);
      update(updated);
      return `${enable ? 'Enabled' : 'Disabled'} rule ${current.name}.`;
    });
  });
  let lastKey = '';
  const update = (next: RuleInfo) => {
    current = next;
    const enabled = next.state === 'ENABLED';
    setText(toggle, enabled ? 'Disable' : 'Enable');
    toggle.setAttribute('aria-label', `${enabled ? 'Disable' : 'Enable'} rule ${next.name}`);
    setText(matched, fmtInt(next.matched));
    setText(failed, fmtInt(next.failed));
    failed.classList.toggle('text-danger', next.failed > 0);
    setText(description, next.description ?? '');
    const key = JSON.stringify([next.state, next.eventPattern, next.scheduleExpression, next.targets]);
    if (key === lastKey) return;
    lastKey = key;
    replaceChildren(
      state,
      h('span', { class: `badge ${enabled ? 'state-ok' : 'state-disabled'}`, testid: 'rule-state' }, next.state),
    );
    if (next.eventPattern) {
      const text = prettyJson(next.eventPattern);
      replaceChildren(
        pattern,
        h(
          'details',
          null,
          h('summary', null, h('code', null, truncate(next.eventPattern, 60))),
          h('pre', { class: 'code' }, text),
        ),
      );
    } else {
      replaceChildren(pattern, next.scheduleExpression ? h('code', null, next.scheduleExpression) : '—');
    }
    replaceChildren(
      targets,
      next.targets.length === 0
        ? h('span', { class: 'muted' }, 'No targets')
        : h('ul', { class: 'plain' }, ...next.targets.map(targetItem)),
    );
  };
  return { el, update };
}

function targetItem(t: TargetInfo): HTMLLIElement {
  const name = t.kind === 'queue' ? link(queueHref(t.name), t.name) : h('code', null, t.name);
  const how = t.inputTransformer
    ? h(
        'details',
        null,
        h('summary', null, 'input transformer'),
        h(
          'pre',
          { class: 'code' },
          `${JSON.stringify(t.inputTransformer.inputPathsMap ?? {}, null, 2)}\n${t.inputTransformer.inputTemplate}`,
        ),
      )
    : t.inputPath
      ? h('small', null, ` input path ${t.inputPath}`)
      : t.input
        ? h('small', null, ' constant input')
        : null;
  const dlq = t.deadLetterArn ? h('small', { class: 'muted' }, ` · DLQ ${t.deadLetterArn.split(':').pop()}`) : null;
  return h('li', null, h('span', { class: 'tag' }, t.kind), ' ', name, ' ', how, dlq);
}

function ruleTester() {
  const busSelect = h('select', { id: 'tester-bus', testid: 'rule-tester-bus' });
  const input = h('textarea', {
    id: 'tester-event',
    rows: 10,
    spellcheck: false,
    testid: 'rule-tester-input',
    'aria-describedby': 'tester-hint',
  });
  input.value = JSON.stringify(SAMPLE_EVENT, null, 2);
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'rule-tester-submit' }, 'Test');
  const output = h('div', { class: 'tester-output', testid: 'rule-tester-output', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'tester' },
    h('label', { class: 'field inline', for: 'tester-bus' }, h('span', null, 'Bus'), busSelect),
    h('label', { class: 'field', for: 'tester-event' }, h('span', null, 'Event (JSON)'), input),
    h(
      'p',
      { id: 'tester-hint', class: 'muted' },
      'source, detail-type and detail are needed; the rest of the envelope is filled in. Nothing is sent.',
    ),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await runAction(submit, 'Rule test', async () => {
      const result = await api.testRule(busSelect.value, input.value);
      renderResult(output, result);
      return `${result.matches.length} rule(s) match.`;
    });
  });
  const el = section(
    'Rule tester',
    h('p', null, 'Paste an event to see which rules match it and what each of their targets would receive.'),
    form,
    output,
  );
  let known = '';
  return {
    el,
    setBuses(names: string[]) {
      const key = names.join('\n');
      if (key === known) return;
      known = key;
      const chosen = busSelect.value;
      replaceChildren(busSelect, ...names.map((n) => h('option', { value: n }, n)));
      // The e-commerce example's events go to `commerce`: the likeliest bus to test against.
      busSelect.value = names.includes(chosen) ? chosen : names.includes('commerce') ? 'commerce' : (names[0] ?? '');
    },
  };
}

function renderResult(output: HTMLElement, result: RuleTestResult): void {
  const matches = result.matches.map((m) =>
    h(
      'li',
      { class: 'match', testid: `rule-match-${m.rule}`, 'data-rule': m.rule },
      h(
        'h3',
        null,
        m.rule,
        ' ',
        h('span', { class: `badge ${m.state === 'ENABLED' ? 'state-ok' : 'state-disabled'}` }, m.state),
        m.state !== 'ENABLED' ? h('small', { class: 'muted' }, ' (disabled: would not deliver)') : null,
      ),
      m.targets.length === 0
        ? h('p', { class: 'muted' }, 'No targets.')
        : h(
            'ul',
            { class: 'plain' },
            ...m.targets.map((t) =>
              h(
                'li',
                { testid: `rule-target-${m.rule}-${t.id}` },
                h('span', { class: 'tag' }, t.kind),
                ' ',
                h('code', null, t.id),
                ' ',
                h('small', { class: 'muted' }, t.arn),
                t.error
                  ? h('p', { class: 'text-danger', testid: 'rule-test-error' }, t.error)
                  : h('pre', { class: 'code', testid: 'rule-test-payload' }, prettyJson(t.payload ?? '')),
              ),
            ),
          ),
    ),
  );
  replaceChildren(
    output,
    h('h3', null, `${result.matches.length} matching rule${result.matches.length === 1 ? '' : 's'}`),
    result.matches.length ? h('ul', { class: 'plain matches' }, ...matches) : null,
    result.unmatched.length
      ? h('p', { class: 'muted', testid: 'rule-test-unmatched' }, `Not matching: ${result.unmatched.join(', ')}`)
      : null,
    h(
      'details',
      null,
      h('summary', null, 'The event as rules see it'),
      h('pre', { class: 'code' }, JSON.stringify(result.event, null, 2)),
    ),
  );
}
