// `switchyard events put` and `switchyard events test-pattern` as a user runs them: a child process against a
// real server, with the rules, targets and queues set up through the SDK.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CreateEventBusCommand,
  type EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ACCOUNT, arnOf, REGION } from '../helpers/account.js';
import { type CliResult, killAllServers, runCli } from '../helpers/process.js';
import { eventBridgeClient, startTestServer, type TestServer } from '../helpers/server.js';
import { createQueue } from '../helpers/sqs.js';

const BUS = 'cli-orders-bus';
const BUS_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${BUS}`;
const STACK_LINE = /^\s+at /m;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A whole event, as TestEventPattern wants it. */
const EVENT = {
  version: '0',
  id: '6f6f1b1e-0000-4000-8000-000000000001',
  'detail-type': 'OrderPlaced',
  source: 'cli.shop',
  account: ACCOUNT,
  time: '2024-05-01T12:34:56Z',
  region: REGION,
  resources: [],
  detail: { orderId: 'o-1', total: 12.5 },
};

let t: TestServer;
let eb: EventBridgeClient;
let sqs: SQSClient;
let ordersUrl: string;
let defaultUrl: string;
let scratch: string;

before(async () => {
  t = await startTestServer();
  eb = eventBridgeClient(t.server.url);
  sqs = t.sqs;
  scratch = mkdtempSync(path.join(tmpdir(), 'switchyard-cli-events-'));
});

after(async () => {
  await killAllServers();
  eb?.destroy();
  await t?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** `switchyard <args>` against the test server. */
const cli = (...args: string[]) => runCli([...args, '--endpoint-url', t.server.url]);

/** `switchyard <args>` with the endpoint from SWITCHYARD_ENDPOINT only. */
function cliWithEnvEndpoint(...args: string[]): Promise<CliResult> {
  const saved = process.env.SWITCHYARD_ENDPOINT;
  process.env.SWITCHYARD_ENDPOINT = t.server.url;
  try {
    // runCli copies the environment when it spawns, before its first await.
    return runCli(args);
  } finally {
    if (saved === undefined) delete process.env.SWITCHYARD_ENDPOINT;
    else process.env.SWITCHYARD_ENDPOINT = saved;
  }
}

/** The next message of the queue, waiting a little in case delivery is asynchronous. */
async function receiveOne(QueueUrl: string): Promise<Message> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5, VisibilityTimeout: 300 }),
  );
  assert.equal(Messages.length, 1, `expected one message, got ${JSON.stringify(Messages.map((m) => m.Body))}`);
  const [message] = Messages;
  assert.ok(message);
  return message;
}

function assertOneLineError(run: CliResult): void {
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stdout, '');
  assert.doesNotMatch(run.stderr, STACK_LINE, 'no stack trace');
  assert.equal(run.stderr.trimEnd().split('\n').length, 1, `one line: ${run.stderr}`);
}

describe('switchyard events', () => {
  before(async () => {
    ordersUrl = await createQueue(sqs, 'cli-ev-orders');
    defaultUrl = await createQueue(sqs, 'cli-ev-default');
    await eb.send(new CreateEventBusCommand({ Name: BUS }));
    await eb.send(
      new PutRuleCommand({
        Name: 'cli-orders',
        EventBusName: BUS,
        EventPattern: JSON.stringify({ source: ['cli.shop'], 'detail-type': ['OrderPlaced'] }),
      }),
    );
    await eb.send(
      new PutTargetsCommand({
        Rule: 'cli-orders',
        EventBusName: BUS,
        Targets: [{ Id: 'q', Arn: arnOf('cli-ev-orders') }],
      }),
    );
    await eb.send(
      new PutRuleCommand({ Name: 'cli-default', EventPattern: JSON.stringify({ source: ['cli.default'] }) }),
    );
    await eb.send(new PutTargetsCommand({ Rule: 'cli-default', Targets: [{ Id: 'q', Arn: arnOf('cli-ev-default') }] }));
  });

  test('put: prints the event id; the rule delivers the whole envelope to its queue', async () => {
    const detail = '{"orderId": "o-1", "total": 12.5, "lines": [1, 2]}';
    const run = await cli(
      'events',
      'put',
      '--bus',
      BUS,
      '--source',
      'cli.shop',
      '--detail-type',
      'OrderPlaced',
      '--detail',
      detail,
      '--resources',
      'arn:aws:shop:::order/o-1,arn:aws:shop:::customer/c-9',
      '--resource',
      'arn:aws:shop:::cart/k-3',
      '--time',
      '2024-05-01T12:34:56.789Z',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^[0-9a-f-]{36}\n$/);
    const id = run.stdout.trim();
    assert.match(id, UUID);

    const message = await receiveOne(ordersUrl);
    assert.deepEqual(JSON.parse(message.Body ?? ''), {
      version: '0',
      id,
      'detail-type': 'OrderPlaced',
      source: 'cli.shop',
      account: ACCOUNT,
      time: '2024-05-01T12:34:56Z',
      region: REGION,
      resources: ['arn:aws:shop:::order/o-1', 'arn:aws:shop:::customer/c-9', 'arn:aws:shop:::cart/k-3'],
      detail: { orderId: 'o-1', total: 12.5, lines: [1, 2] },
    });
  });

  test('put --json with the bus ARN: the PutEvents response; no event for a rule that does not match', async () => {
    const run = await cli(
      'events',
      'put',
      '--bus',
      BUS_ARN,
      '--source',
      'cli.shop',
      '--detail-type',
      'OrderPlaced',
      '--detail',
      '{"n":1}',
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { FailedEntryCount: number; Entries: { EventId?: string }[] };
    assert.deepEqual(Object.keys(out).sort(), ['Entries', 'FailedEntryCount'], 'no SDK $metadata');
    assert.equal(out.FailedEntryCount, 0);
    assert.equal(out.Entries.length, 1);
    const event = JSON.parse((await receiveOne(ordersUrl)).Body ?? '') as { id: string; resources: unknown[] };
    assert.equal(event.id, out.Entries[0]?.EventId);
    assert.deepEqual(event.resources, []);

    // Another detail-type: accepted, but no rule of the bus matches it.
    const other = await cli(
      'events',
      'put',
      '--bus',
      BUS,
      '--source',
      'cli.shop',
      '--detail-type',
      'OrderCancelled',
      '--detail',
      '{}',
    );
    assert.equal(other.code, 0, other.stderr);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: ordersUrl, WaitTimeSeconds: 1 }));
    assert.deepEqual(Messages, []);
  });

  test('put: the default bus and SWITCHYARD_ENDPOINT when no flag says otherwise', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const run = await cliWithEnvEndpoint(
      'events',
      'put',
      '--source',
      'cli.default',
      '--detail-type',
      'Ping',
      '--detail',
      '{}',
    );
    assert.equal(run.code, 0, run.stderr);
    const event = JSON.parse((await receiveOne(defaultUrl)).Body ?? '') as { id: string; time: string };
    assert.equal(event.id, run.stdout.trim());
    assert.ok(Date.parse(event.time) >= before && Date.parse(event.time) <= Date.now(), 'stamped by the server');
  });

  test('put to a missing bus: the entry error on stderr, exit 1', async () => {
    const run = await cli(
      'events',
      'put',
      '--bus',
      'no-such-bus',
      '--source',
      's',
      '--detail-type',
      't',
      '--detail',
      '{}',
    );
    assertOneLineError(run);
    assert.equal(run.stderr, 'switchyard: ResourceNotFoundException: Event bus no-such-bus does not exist.\n');

    // --json still prints the response, for scripts, and still fails.
    const json = await cli(
      'events',
      'put',
      '--bus',
      'no-such-bus',
      '--source',
      's',
      '--detail-type',
      't',
      '--detail',
      '{}',
      '--json',
    );
    assert.equal(json.code, 1, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus no-such-bus does not exist.' }],
    });
    assert.equal(json.stderr, 'switchyard: ResourceNotFoundException: Event bus no-such-bus does not exist.\n');
  });

  test('put: bad flags are refused before anything is sent', async () => {
    const base = ['events', 'put', '--source', 'cli.default', '--detail-type', 'Bad'];
    const [notJson, notObject, badTime, noSource, unreachable] = await Promise.all([
      cli(...base, '--detail', '{"orderId": '),
      cli(...base, '--detail', '[1, 2]'),
      cli(...base, '--detail', '{}', '--time', 'yesterday'),
      cli('events', 'put', '--detail-type', 'Bad', '--detail', '{}'),
      runCli([...base, '--detail', '{}', '--endpoint-url', 'http://127.0.0.1:1']),
    ]);
    for (const run of [notJson, notObject, badTime, noSource, unreachable]) assertOneLineError(run);
    assert.match(notJson.stderr, /--detail <json>.*not valid JSON/);
    assert.match(notObject.stderr, /--detail <json>.*must be a JSON object/);
    assert.match(badTime.stderr, /--time <iso>.*yesterday.*ISO 8601/);
    assert.match(noSource.stderr, /required option '--source <source>'/);
    assert.equal(unreachable.stderr, 'switchyard: cannot reach http://127.0.0.1:1: connection refused\n');
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: defaultUrl, WaitTimeSeconds: 1 }));
    assert.deepEqual(Messages, [], 'nothing was put');
  });

  test('test-pattern: true and false, exit 0 either way; --json; files', async () => {
    const event = JSON.stringify(EVENT);
    const yes = await cli('events', 'test-pattern', '--pattern', '{"source":["cli.shop"]}', '--event', event);
    assert.equal(yes.code, 0, yes.stderr);
    assert.equal(yes.stdout, 'true\n');
    assert.equal(yes.stderr, '');

    const no = await cli(
      'events',
      'test-pattern',
      '--pattern',
      '{"detail":{"total":[{"numeric":[">",100]}]}}',
      '--event',
      event,
    );
    assert.equal(no.code, 0, no.stderr);
    assert.equal(no.stdout, 'false\n');

    const json = await cli(
      'events',
      'test-pattern',
      '--pattern',
      '{"source":["elsewhere"]}',
      '--event',
      event,
      '--json',
    );
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { Result: false });

    const patternFile = path.join(scratch, 'pattern.json');
    const eventFile = path.join(scratch, 'event.json');
    writeFileSync(
      patternFile,
      JSON.stringify({ source: ['cli.shop'], detail: { orderId: [{ prefix: 'o-' }] } }, null, 2),
    );
    writeFileSync(eventFile, JSON.stringify(EVENT, null, 2));
    const files = await cli('events', 'test-pattern', '--pattern-file', patternFile, '--event-file', eventFile);
    assert.equal(files.code, 0, files.stderr);
    assert.equal(files.stdout, 'true\n');
  });

  test('test-pattern: an invalid pattern prints the server message and exits 1', async () => {
    const event = JSON.stringify(EVENT);
    const run = await cli('events', 'test-pattern', '--pattern', '{"source":"cli.shop"}', '--event', event);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, '');
    // The server's message as it is, with Jackson's location line the way AWS words it.
    assert.equal(
      run.stderr,
      'switchyard: InvalidEventPatternException: Event pattern is not valid. Reason: "source" must be an object or an array\n' +
        ' at [Source: (String)"{"source":"cli.shop"}"; line: 1, column: 12]\n',
    );

    const broken = await cli('events', 'test-pattern', '--pattern', '{"source":', '--event', event);
    assert.equal(broken.code, 1, broken.stderr);
    assert.match(broken.stderr, /^switchyard: InvalidEventPatternException: Event pattern is not valid\. Reason: /);
  });

  test('test-pattern: event and flag errors', async () => {
    const pattern = '{"source":["cli.shop"]}';
    const [noEnvelope, notJson, noEvent, both, missingFile] = await Promise.all([
      cli('events', 'test-pattern', '--pattern', pattern, '--event', '{"source":"cli.shop"}'),
      cli('events', 'test-pattern', '--pattern', pattern, '--event', '{"source"'),
      cli('events', 'test-pattern', '--pattern', pattern),
      cli('events', 'test-pattern', '--pattern', pattern, '--pattern-file', 'p.json', '--event', '{}'),
      cli('events', 'test-pattern', '--pattern', pattern, '--event-file', path.join(scratch, 'missing.json')),
    ]);
    for (const run of [noEnvelope, notJson, noEvent, both, missingFile]) assertOneLineError(run);
    assert.equal(
      noEnvelope.stderr,
      'switchyard: ValidationException: Parameter Event is not valid. (an event needs id, account, source, time, region and detail-type)\n',
    );
    assert.match(notJson.stderr, /^switchyard: --event: not valid JSON/);
    assert.match(noEvent.stderr, /one of --event <json> or --event-file <path> is required/);
    assert.match(both.stderr, /--pattern or --pattern-file, not both/);
    assert.match(missingFile.stderr, /^switchyard: --event-file: ENOENT.*missing\.json/);
  });

  test('--help describes every command and flag', async () => {
    const [events, put, testPattern] = await Promise.all([
      runCli(['events', '--help']),
      runCli(['events', 'put', '--help']),
      runCli(['events', 'test-pattern', '--help']),
    ]);
    assert.equal(events.code, 0, events.stderr);
    for (const text of ['put', 'test-pattern', 'PutEvents', 'TestEventPattern']) {
      assert.ok(events.stdout.includes(text), text);
    }
    assert.equal(put.code, 0, put.stderr);
    for (const flag of [
      '--bus <name|arn>',
      '--source <source>',
      '--detail-type <type>',
      '--detail <json>',
      '--resources <arns>',
      '--resource <arn>',
      '--time <iso>',
      '--json',
      '--endpoint-url <url>',
      'SWITCHYARD_ENDPOINT',
      'Exit status',
    ]) {
      assert.ok(put.stdout.includes(flag), flag);
    }
    assert.equal(testPattern.code, 0, testPattern.stderr);
    for (const flag of [
      '--pattern <json>',
      '--pattern-file <path>',
      '--event <json>',
      '--event-file <path>',
      '--json',
      '--endpoint-url <url>',
      'Exit status',
    ]) {
      assert.ok(testPattern.stdout.includes(flag), flag);
    }
  });
});
