// `switchyard export cloudformation`, run as a user runs it: the template on stdout (JSON or YAML) or in a file,
// notes on stderr; a bad topology file gives exit status 2 and its problems, one per line, on stderr.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { templateFormat } from '../../src/cli/commands/export.js';
import { loadTopology, toCloudFormation } from '../../src/topology/index.js';
import { runCli } from '../helpers/process.js';

const EXAMPLE = 'examples/ecommerce/switchyard.yaml';
const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-export-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('switchyard export cloudformation', () => {
  test('prints the template of the file as JSON, with the notes on stderr', async () => {
    const result = await runCli(['export', 'cloudformation', '-f', EXAMPLE]);
    assert.equal(result.code, 0, result.stderr);
    const expected = toCloudFormation(await loadTopology(EXAMPLE), {
      description: `Switchyard topology from ${EXAMPLE}`,
    });
    assert.deepEqual(JSON.parse(result.stdout), JSON.parse(JSON.stringify(expected)));
    assert.match(result.stderr, /^switchyard: note: rule low-stock-webhook, target seller-sync: .* is not HTTPS/m);
  });

  test('writes YAML to a file (by its extension) that reads back as the same template', async () => {
    const output = path.join(dir, 'template.yaml');
    const result = await runCli(['export', 'cloudformation', '--file', EXAMPLE, '-o', output]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /switchyard: wrote .*template\.yaml \(\d+ resources\)/);
    const text = readFileSync(output, 'utf8');
    assert.match(text, /^AWSTemplateFormatVersion: "2010-09-09"$/m, 'quoted, or YAML 1.1 reads a date');
    assert.doesNotMatch(text, /^\s*[&*]\w|: [&*]\w/m, 'no anchors or aliases');
    const expected = toCloudFormation(await loadTopology(EXAMPLE), {
      description: `Switchyard topology from ${EXAMPLE}`,
    });
    assert.deepEqual(parse(text), JSON.parse(JSON.stringify(expected)));
  });

  test('a bad file: exit status 2 and every problem, file:line:column: field: message', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'queues:',
        '  orders: { visibilityTimout: 30 }',
        'rules:',
        '  r:',
        '    pattern: { source: [x] }',
        '    targets: [{ id: t, queue: ordrs }]',
        '',
      ].join('\n'),
    );
    const result = await runCli(['export', 'cloudformation', '-f', file]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      [
        `${file}:3:13: queues.orders.visibilityTimout: unknown key "visibilityTimout" (did you mean "visibilityTimeout"?)`,
        `${file}:7:24: rules.r.targets[0].queue: no queue "ordrs" is declared (did you mean "orders"?)`,
        '',
      ].join('\n'),
    );
  });

  test('a missing file: exit status 2', async () => {
    const result = await runCli(['export', 'cloudformation', '-f', path.join(dir, 'nope.yaml')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^switchyard: .*nope\.yaml: no such file/);
  });

  test('--help names the flags', async () => {
    const result = await runCli(['export', 'cloudformation', '--help']);
    assert.equal(result.code, 0);
    for (const flag of ['-f, --file <path>', '-o, --output <path>', '--format <format>']) {
      assert.ok(result.stdout.includes(flag), flag);
    }
  });

  test('the format: the flag, else the output file extension, else JSON', () => {
    assert.equal(templateFormat(undefined, undefined), 'json');
    assert.equal(templateFormat(undefined, 't.yml'), 'yaml');
    assert.equal(templateFormat(undefined, 't.json'), 'json');
    assert.equal(templateFormat('json', 't.yaml'), 'json');
    assert.equal(templateFormat('yaml', undefined), 'yaml');
  });
});
