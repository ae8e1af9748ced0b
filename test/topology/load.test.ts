// switchyard.yaml: a valid file gives the normalised model with every default filled in; each kind of mistake gives
// exactly one `file:line:column: path: message`, and all of a file's mistakes are reported together.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  formatTopologyIssue,
  loadTopology,
  parseTopology,
  queueAttributes,
  queuesInCreationOrder,
  queuesTargetedByRules,
  type Topology,
  TopologyError,
} from '../../src/topology/index.js';

/** The issues of a file that must not load, formatted. */
function problems(text: string, file = 'switchyard.yaml'): string[] {
  try {
    parseTopology(text, file);
  } catch (error) {
    assert.ok(error instanceof TopologyError, `expected a TopologyError, got ${String(error)}`);
    assert.equal(error.message, error.issues.map(formatTopologyIssue).join('\n'));
    return error.issues.map(formatTopologyIssue);
  }
  assert.fail('the file loaded');
}

/** A file from lines, so that line numbers in the expectations can be counted. */
const lines = (...l: string[]) => `${l.join('\n')}\n`;

const VALID = lines(
  'version: 1',
  'queues:',
  '  orders-dlq:',
  '  orders:',
  '    visibilityTimeout: 45',
  '    deadLetterQueue: orders-dlq',
  '    tags: { team: orders }',
  '  stock.fifo:',
  '    contentBasedDeduplication: true',
  '    deduplicationScope: messageGroup',
  '    fifoThroughputLimit: perMessageGroupId',
  '    deadLetterQueue: stock-dlq.fifo',
  '    maxReceiveCount: 3',
  '  stock-dlq.fifo: {}',
  'buses:',
  '  marketplace: { description: Marketplace events }',
  'rules:',
  '  orders-to-queue:',
  '    bus: marketplace',
  '    pattern: { source: [switchyard.orders] }',
  '    targets:',
  '      - id: queue',
  '        queue: orders',
  '        inputPath: $.detail',
  '      - id: stock',
  '        queue: stock.fifo',
  '        messageGroupId: stock',
  '        retryPolicy: { maximumRetryAttempts: 3 }',
  '        deadLetterQueue: orders-dlq',
  '      - id: hook',
  '        url: https://hooks.example.com/orders',
  '        input: { kind: order }',
  '  nightly:',
  '    schedule: cron(0 2 * * ? *)',
  '    state: DISABLED',
  '    targets:',
  '      - { id: bus, bus: marketplace }',
  'alarms:',
  '  orders-dlq-not-empty:',
  '    namespace: AWS/SQS',
  '    metric: ApproximateNumberOfMessagesVisible',
  '    dimensions: { QueueName: orders-dlq }',
  '    statistic: Maximum',
  '    period: 60',
  '    evaluationPeriods: 1',
  '    threshold: 0',
  '    comparison: GreaterThanThreshold',
  '    actions: { alarm: [{ queue: orders-dlq }, { url: https://pager.example.com/x }] }',
);

describe('a valid file', () => {
  test('is normalised: defaults filled in, references explicit, file order kept', () => {
    const topology = parseTopology(VALID);
    const expected: Topology = {
      version: 1,
      queues: [
        {
          name: 'orders-dlq',
          fifo: false,
          delaySeconds: 0,
          maximumMessageSize: 1_048_576,
          messageRetentionPeriod: 345_600,
          receiveMessageWaitTimeSeconds: 0,
          visibilityTimeout: 30,
          sqsManagedSseEnabled: true,
          tags: {},
        },
        {
          name: 'orders',
          fifo: false,
          delaySeconds: 0,
          maximumMessageSize: 1_048_576,
          messageRetentionPeriod: 345_600,
          receiveMessageWaitTimeSeconds: 0,
          visibilityTimeout: 45,
          sqsManagedSseEnabled: true,
          deadLetter: { queue: 'orders-dlq', maxReceiveCount: 5 },
          tags: { team: 'orders' },
        },
        {
          name: 'stock.fifo',
          fifo: true,
          delaySeconds: 0,
          maximumMessageSize: 1_048_576,
          messageRetentionPeriod: 345_600,
          receiveMessageWaitTimeSeconds: 0,
          visibilityTimeout: 30,
          sqsManagedSseEnabled: true,
          deadLetter: { queue: 'stock-dlq.fifo', maxReceiveCount: 3 },
          tags: {},
          contentBasedDeduplication: true,
          deduplicationScope: 'messageGroup',
          fifoThroughputLimit: 'perMessageGroupId',
        },
        {
          name: 'stock-dlq.fifo',
          fifo: true,
          delaySeconds: 0,
          maximumMessageSize: 1_048_576,
          messageRetentionPeriod: 345_600,
          receiveMessageWaitTimeSeconds: 0,
          visibilityTimeout: 30,
          sqsManagedSseEnabled: true,
          tags: {},
          contentBasedDeduplication: false,
          deduplicationScope: 'queue',
          fifoThroughputLimit: 'perQueue',
        },
      ],
      buses: [{ name: 'marketplace', description: 'Marketplace events', tags: {} }],
      rules: [
        {
          name: 'orders-to-queue',
          bus: 'marketplace',
          state: 'ENABLED',
          trigger: {
            kind: 'pattern',
            pattern: { source: ['switchyard.orders'] },
            json: '{"source":["switchyard.orders"]}',
          },
          targets: [
            {
              id: 'queue',
              destination: { kind: 'queue', queue: 'orders' },
              input: { kind: 'path', path: '$.detail' },
              retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
            },
            {
              id: 'stock',
              destination: { kind: 'queue', queue: 'stock.fifo', messageGroupId: 'stock' },
              input: { kind: 'event' },
              retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 86_400 },
              deadLetterQueue: 'orders-dlq',
            },
            {
              id: 'hook',
              destination: { kind: 'url', url: 'https://hooks.example.com/orders' },
              input: { kind: 'constant', json: '{"kind":"order"}' },
              retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
            },
          ],
          tags: {},
        },
        {
          name: 'nightly',
          bus: 'default',
          state: 'DISABLED',
          trigger: { kind: 'schedule', expression: 'cron(0 2 * * ? *)' },
          targets: [
            {
              id: 'bus',
              destination: { kind: 'bus', bus: 'marketplace' },
              input: { kind: 'event' },
              retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
            },
          ],
          tags: {},
        },
      ],
      alarms: [
        {
          name: 'orders-dlq-not-empty',
          namespace: 'AWS/SQS',
          metric: 'ApproximateNumberOfMessagesVisible',
          dimensions: { QueueName: 'orders-dlq' },
          statistic: 'Maximum',
          period: 60,
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
          threshold: 0,
          comparison: 'GreaterThanThreshold',
          treatMissingData: 'missing',
          actionsEnabled: true,
          actions: {
            alarm: [
              { kind: 'queue', queue: 'orders-dlq' },
              { kind: 'url', url: 'https://pager.example.com/x' },
            ],
            ok: [],
            insufficientData: [],
          },
          tags: {},
        },
      ],
    };
    assert.deepEqual(topology, expected);
  });

  test('an empty topology is just the version', () => {
    assert.deepEqual(parseTopology('version: 1\n'), { version: 1, queues: [], buses: [], rules: [], alarms: [] });
  });

  test('YAML anchors and aliases work', () => {
    const topology = parseTopology(
      lines('version: 1', 'queues:', '  a: &standard { visibilityTimeout: 90 }', '  b: *standard'),
    );
    assert.deepEqual(
      topology.queues.map((q) => [q.name, q.visibilityTimeout]),
      [
        ['a', 90],
        ['b', 90],
      ],
    );
  });

  test('a KMS-encrypted queue turns SQS-managed encryption off and gets the key reuse default', () => {
    const [queue] = parseTopology(lines('version: 1', 'queues:', '  q: { kmsMasterKeyId: alias/sqs }')).queues;
    assert.equal(queue?.sqsManagedSseEnabled, false);
    assert.equal(queue?.kmsMasterKeyId, 'alias/sqs');
    assert.equal(queue?.kmsDataKeyReusePeriodSeconds, 300);
  });

  test('helpers for whoever applies it: attributes, creation order, targeted queues', () => {
    const topology = parseTopology(VALID);
    const arn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
    const stock = topology.queues.find((q) => q.name === 'stock.fifo');
    assert.ok(stock);
    assert.deepEqual(queueAttributes(stock, arn), {
      DelaySeconds: '0',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '345600',
      ReceiveMessageWaitTimeSeconds: '0',
      VisibilityTimeout: '30',
      SqsManagedSseEnabled: 'true',
      RedrivePolicy: '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:stock-dlq.fifo","maxReceiveCount":3}',
      FifoQueue: 'true',
      ContentBasedDeduplication: 'true',
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
    assert.deepEqual(
      queuesInCreationOrder(topology.queues).map((q) => q.name),
      ['orders-dlq', 'orders', 'stock-dlq.fifo', 'stock.fifo'],
    );
    assert.deepEqual([...queuesTargetedByRules(topology)].sort(), ['orders', 'orders-dlq', 'stock.fifo']);
  });

  test('loadTopology reads a file and names it in its errors', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-topology-'));
    try {
      const file = path.join(dir, 'switchyard.yaml');
      writeFileSync(file, VALID);
      assert.equal((await loadTopology(file)).queues.length, 4);
      writeFileSync(file, 'version: 1\nqueues:\n  q: { visibilityTimeout: -1 }\n');
      await assert.rejects(loadTopology(file), (error: unknown) => {
        assert.ok(error instanceof TopologyError);
        assert.deepEqual(error.issues, [
          {
            file,
            line: 3,
            column: 8,
            path: 'queues.q.visibilityTimeout',
            message: 'must be an integer from 0 to 43200 (seconds), got -1',
          },
        ]);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a bad file', () => {
  const cases: { name: string; text: string; expected: string[] }[] = [
    {
      name: 'an unknown key (a typo) gets a suggestion',
      text: lines('version: 1', 'queues:', '  orders:', '    visibiltyTimeout: 30'),
      expected: [
        'switchyard.yaml:4:5: queues.orders.visibiltyTimeout: unknown key "visibiltyTimeout" (did you mean "visibilityTimeout"?)',
      ],
    },
    {
      name: 'an unknown top-level key',
      text: lines('version: 1', 'queue:', '  orders: {}'),
      expected: ['switchyard.yaml:2:1: queue: unknown key "queue" (did you mean "queues"?)'],
    },
    {
      name: 'an unknown queue in a target, with the closest name',
      text: lines(
        'version: 1',
        'queues:',
        '  orders: {}',
        'rules:',
        '  orders-to-queue:',
        '    pattern: { source: [switchyard.orders] }',
        '    targets:',
        '    - id: queue',
        '      queue: ordrs',
      ),
      expected: [
        'switchyard.yaml:9:7: rules.orders-to-queue.targets[0].queue: no queue "ordrs" is declared (did you mean "orders"?)',
      ],
    },
    {
      name: 'a FIFO flag on a name without .fifo',
      text: lines('version: 1', 'queues:', '  stock:', '    fifo: true'),
      expected: ['switchyard.yaml:4:5: queues.stock.fifo: a FIFO queue\'s name ends in ".fifo": name it "stock.fifo"'],
    },
    {
      name: 'a .fifo name marked standard',
      text: lines('version: 1', 'queues:', '  stock.fifo: { fifo: false }'),
      expected: [
        'switchyard.yaml:3:17: queues["stock.fifo"].fifo: the name ends in ".fifo", which only FIFO queue names do: drop fifo: false or rename',
      ],
    },
    {
      name: 'a standard dead-letter queue for a FIFO queue',
      text: lines('version: 1', 'queues:', '  dlq: {}', '  stock.fifo:', '    deadLetterQueue: dlq'),
      expected: [
        'switchyard.yaml:5:5: queues["stock.fifo"].deadLetterQueue: "dlq" is a standard queue: the dead-letter queue of a FIFO queue must be a FIFO queue',
      ],
    },
    {
      name: 'a queue that is its own dead-letter queue',
      text: lines('version: 1', 'queues:', '  orders: { deadLetterQueue: orders }'),
      expected: ['switchyard.yaml:3:13: queues.orders.deadLetterQueue: a queue cannot be its own dead-letter queue'],
    },
    {
      name: 'dead-letter queues in a cycle',
      text: lines('version: 1', 'queues:', '  a: { deadLetterQueue: b }', '  b: { deadLetterQueue: a }'),
      expected: ['switchyard.yaml:3:8: queues.a.deadLetterQueue: dead-letter queues form a cycle: a → b → a'],
    },
    {
      name: 'maxReceiveCount without a dead-letter queue',
      text: lines('version: 1', 'queues:', '  orders: { maxReceiveCount: 3 }'),
      expected: ['switchyard.yaml:3:13: queues.orders.maxReceiveCount: applies only with deadLetterQueue'],
    },
    {
      name: 'a FIFO setting on a standard queue',
      text: lines('version: 1', 'queues:', '  orders: { contentBasedDeduplication: true }'),
      expected: ['switchyard.yaml:3:13: queues.orders.contentBasedDeduplication: applies to FIFO queues only'],
    },
    {
      name: 'a value out of AWS range, and a string where a number belongs',
      text: lines('version: 1', 'queues:', '  a: { delaySeconds: 901 }', '  b: { visibilityTimeout: "30" }'),
      expected: [
        'switchyard.yaml:3:8: queues.a.delaySeconds: must be an integer from 0 to 900 (seconds), got 901',
        'switchyard.yaml:4:8: queues.b.visibilityTimeout: must be an integer from 0 to 43200 (seconds), got the string "30"',
      ],
    },
    {
      name: 'a queue name AWS refuses',
      text: lines('version: 1', 'queues:', '  orders/eu: {}'),
      expected: [
        'switchyard.yaml:3:3: queues["orders/eu"]: queue names are 1 to 80 letters, digits, hyphens and underscores; a FIFO queue\'s name ends in ".fifo" (75 more at most)',
      ],
    },
    {
      name: 'the default bus declared',
      text: lines('version: 1', 'buses:', '  default: {}'),
      expected: [
        'switchyard.yaml:3:3: buses.default: the default bus always exists and is not declared (rules use it when they name no bus)',
      ],
    },
    {
      name: 'a pattern EventBridge refuses',
      text: lines(
        'version: 1',
        'rules:',
        '  big-orders:',
        '    pattern:',
        '      detail: { total: [{ numeric: [">", "lots"] }] }',
      ),
      expected: [
        'switchyard.yaml:4:5: rules.big-orders.pattern: not a valid event pattern: Value of > must be numeric',
      ],
    },
    {
      name: 'both a pattern and a schedule',
      text: lines('version: 1', 'rules:', '  r:', '    pattern: { source: [a] }', '    schedule: rate(5 minutes)'),
      expected: ['switchyard.yaml:5:5: rules.r.schedule: give pattern or schedule, not both'],
    },
    {
      name: 'neither a pattern nor a schedule',
      text: lines('version: 1', 'rules:', '  r:', '    description: nothing'),
      expected: ['switchyard.yaml:3:3: rules.r: a rule needs a pattern or a schedule'],
    },
    {
      name: 'a schedule on a custom bus, and one AWS cannot parse',
      text: lines(
        'version: 1',
        'buses:',
        '  b: {}',
        'rules:',
        '  r1: { bus: b, schedule: rate(5 minutes) }',
        '  r2: { schedule: every day }',
      ),
      expected: [
        'switchyard.yaml:5:17: rules.r1.schedule: schedules run on the default bus only, and this rule is on "b"',
        'switchyard.yaml:6:9: rules.r2.schedule: not a valid schedule expression (expected rate(value unit) or cron(fields)): use rate(5 minutes) or cron(0 12 * * ? *)',
      ],
    },
    {
      name: 'an unknown bus, with the closest name',
      text: lines(
        'version: 1',
        'buses:',
        '  marketplace: {}',
        'rules:',
        '  r: { bus: marketplce, pattern: { a: [1] } }',
      ),
      expected: ['switchyard.yaml:5:8: rules.r.bus: no bus "marketplce" is declared (did you mean "marketplace"?)'],
    },
    {
      name: 'a duplicate target id',
      text: lines(
        'version: 1',
        'queues: { a: {}, b: {} }',
        'rules:',
        '  r:',
        '    pattern: { source: [x] }',
        '    targets:',
        '      - { id: t, queue: a }',
        '      - { id: t, queue: b }',
      ),
      expected: ['switchyard.yaml:8:11: rules.r.targets[1].id: target id "t" is already used by targets[0]'],
    },
    {
      name: 'a FIFO target without a message group, and one whose queue lacks content-based deduplication',
      text: lines(
        'version: 1',
        'queues:',
        '  a.fifo: { contentBasedDeduplication: true }',
        '  b.fifo: {}',
        'rules:',
        '  r:',
        '    pattern: { source: [x] }',
        '    targets:',
        '      - { id: a, queue: a.fifo }',
        '      - { id: b, queue: b.fifo, messageGroupId: g }',
      ),
      expected: [
        'switchyard.yaml:9:18: rules.r.targets[0].queue: "a.fifo" is a FIFO queue: the target needs a messageGroupId',
        'switchyard.yaml:10:18: rules.r.targets[1].queue: "b.fifo" is a FIFO queue without contentBasedDeduplication: EventBridge needs it to send to a FIFO queue',
      ],
    },
    {
      name: 'a message group for a standard queue',
      text: lines(
        'version: 1',
        'queues: { a: {} }',
        'rules:',
        '  r:',
        '    pattern: { source: [x] }',
        '    targets: [{ id: a, queue: a, messageGroupId: g }]',
      ),
      expected: [
        'switchyard.yaml:6:34: rules.r.targets[0].messageGroupId: applies to FIFO queue targets only, and "a" is a standard queue',
      ],
    },
    {
      name: 'two destinations, and two input forms',
      text: lines(
        'version: 1',
        'queues: { a: {} }',
        'rules:',
        '  r:',
        '    pattern: { source: [x] }',
        '    targets:',
        '      - { id: a, queue: a, url: https://example.com/ }',
        '      - { id: b, queue: a, input: "{}", inputPath: $.detail }',
      ),
      expected: [
        'switchyard.yaml:7:28: rules.r.targets[0].url: give one of queue, bus and url, not several',
        'switchyard.yaml:8:41: rules.r.targets[1].inputPath: give at most one of input, inputPath and inputTransformer',
      ],
    },
    {
      name: 'a FIFO dead-letter queue for a target',
      text: lines(
        'version: 1',
        'queues: { a: {}, d.fifo: {} }',
        'rules:',
        '  r:',
        '    pattern: { source: [x] }',
        '    targets: [{ id: a, queue: a, deadLetterQueue: d.fifo }]',
      ),
      expected: [
        'switchyard.yaml:6:34: rules.r.targets[0].deadLetterQueue: "d.fifo" is a FIFO queue: EventBridge dead-letter queues must be standard queues',
      ],
    },
    {
      name: 'an input transformer with an undefined placeholder',
      text: lines(
        'version: 1',
        'queues: { a: {} }',
        'rules:',
        '  r:',
        '    pattern: { source: [x] }',
        '    targets:',
        '      - id: a',
        '        queue: a',
        '        inputTransformer: { inputPathsMap: { id: $.id }, inputTemplate: "<ids>" }',
      ),
      expected: [
        'switchyard.yaml:9:9: rules.r.targets[0].inputTransformer: InputTemplate placeholder <ids> is not defined in InputPathsMap nor a predefined variable.',
      ],
    },
    {
      name: 'an alarm on an undeclared queue, on a rule of a custom bus without its bus, notifying a FIFO queue',
      text: lines(
        'version: 1',
        'queues: { orders-dlq: {}, alerts.fifo: {} }',
        'buses: { shop: {} }',
        'rules:',
        '  r: { bus: shop, pattern: { source: [x] } }',
        'alarms:',
        '  dlq:',
        '    namespace: AWS/SQS',
        '    metric: ApproximateNumberOfMessagesVisible',
        '    dimensions: { QueueName: orders-dql }',
        '    statistic: Maximum',
        '    period: 60',
        '    evaluationPeriods: 1',
        '    threshold: 0',
        '    comparison: GreaterThanThreshold',
        '    actions: { alarm: [{ queue: alerts.fifo }] }',
        '  failures:',
        '    namespace: AWS/Events',
        '    metric: FailedInvocations',
        '    dimensions: { RuleName: r }',
        '    statistic: Sum',
        '    period: 45',
        '    evaluationPeriods: 1',
        '    datapointsToAlarm: 2',
        '    threshold: 0',
        '    comparison: GreaterThanThreshold',
      ),
      expected: [
        'switchyard.yaml:10:19: alarms.dlq.dimensions.QueueName: no queue "orders-dql" is declared (did you mean "orders-dlq"?)',
        'switchyard.yaml:16:26: alarms.dlq.actions.alarm[0].queue: "alerts.fifo" is a FIFO queue: alarm actions notify standard queues (on AWS through an SNS topic, which delivers to standard queues only)',
        'switchyard.yaml:20:5: alarms.failures.dimensions: rule "r" is on bus "shop": its metrics carry EventBusName: shop as well as RuleName',
        'switchyard.yaml:22:5: alarms.failures.period: must be 10, 20, 30 or a multiple of 60 (seconds), got 45',
        'switchyard.yaml:24:5: alarms.failures.datapointsToAlarm: must be at most evaluationPeriods (1)',
      ],
    },
    {
      name: 'a missing required field',
      text: lines('version: 1', 'alarms:', '  a:', '    namespace: AWS/SQS', '    metric: M', '    statistic: Sum'),
      expected: [
        'switchyard.yaml:3:3: alarms.a.comparison: is required',
        'switchyard.yaml:3:3: alarms.a.evaluationPeriods: is required',
        'switchyard.yaml:3:3: alarms.a.period: is required',
        'switchyard.yaml:3:3: alarms.a.threshold: is required',
      ],
    },
    {
      name: 'a tag value that YAML reads as a number',
      text: lines('version: 1', 'queues:', '  orders: { tags: { cost-centre: 42 } }'),
      expected: [
        'switchyard.yaml:3:21: queues.orders.tags.cost-centre: tag values are strings (quote numbers and booleans), got 42',
      ],
    },
    {
      name: 'the wrong version, and no version',
      text: lines('version: 2'),
      expected: ['switchyard.yaml:1:1: version: must be 1 (the only version of this format), got 2'],
    },
    {
      name: 'an empty file',
      text: '',
      expected: ['switchyard.yaml:1:1: the file is empty: a topology starts with version: 1'],
    },
    {
      name: 'a YAML syntax error',
      text: lines('version: 1', 'queues:', '  orders: { visibilityTimeout: 30', '  dlq: {}'),
      expected: [
        'switchyard.yaml:4:3: YAML: Flow map in block collection must be sufficiently indented and end with a }',
      ],
    },
    {
      name: 'a key given twice (YAML)',
      text: lines('version: 1', 'queues:', '  orders: {}', '  orders: {}'),
      expected: ['switchyard.yaml:4:3: YAML: Map keys must be unique'],
    },
  ];

  for (const { name, text, expected } of cases) {
    test(name, () => {
      const found = problems(text);
      // Missing-field issues share a position: compare those regardless of their order.
      assert.deepEqual([...found].sort(), [...expected].sort());
    });
  }

  test('every problem of a file is reported, in file order, each once', () => {
    const found = problems(
      lines(
        'version: 1',
        'queues:',
        '  orders:',
        '    visibilityTimout: 30', // a typo: the queue's other fields are still checked
        '    deadLetterQueue: ordrs-dlq',
        '  orders-dlq: {}',
        '  stock.fifo:',
        '    delaySeconds: 1000', // out of range: the dead-letter queue is still checked
        '    deadLetterQueue: orders-dlq',
        'rules:',
        '  r:',
        '    pattern: { source: [x] }',
        '    targets:',
        '      - { id: t, queu: orders }', // a typo: no second complaint about the missing destination
        '      - { id: t, queue: nope }',
      ),
      'shop.yaml',
    );
    assert.deepEqual(found, [
      'shop.yaml:4:5: queues.orders.visibilityTimout: unknown key "visibilityTimout" (did you mean "visibilityTimeout"?)',
      'shop.yaml:5:5: queues.orders.deadLetterQueue: no queue "ordrs-dlq" is declared (did you mean "orders-dlq"?)',
      'shop.yaml:8:5: queues["stock.fifo"].delaySeconds: must be an integer from 0 to 900 (seconds), got 1000',
      'shop.yaml:9:5: queues["stock.fifo"].deadLetterQueue: "orders-dlq" is a standard queue: the dead-letter queue of a FIFO queue must be a FIFO queue',
      'shop.yaml:14:18: rules.r.targets[0].queu: unknown key "queu" (did you mean "queue"?)',
      'shop.yaml:15:11: rules.r.targets[1].id: target id "t" is already used by targets[0]',
      'shop.yaml:15:18: rules.r.targets[1].queue: no queue "nope" is declared',
    ]);
  });
});
