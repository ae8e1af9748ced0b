// apply on a real server: the e-commerce reference deployment is created as declared (read back through the SDK),
// applying it again changes nothing, an edited file changes exactly what was edited, and events flow through what
// was applied.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand as ListAlarmTagsCommand,
  PutMetricAlarmCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  DescribeRuleCommand,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { ApplyError, applyPlan, applyTopology, topologyClients } from '../../src/topology/apply.js';
import { readCurrentState } from '../../src/topology/current.js';
import { loadTopology } from '../../src/topology/load.js';
import {
  DEFAULT_BUS,
  queueAttributes,
  type Topology,
  type TopologyQueue,
  type TopologyRule,
} from '../../src/topology/model.js';
import { formatPlan, MANAGED_TAG_KEY, MANAGED_TAG_VALUE, plan } from '../../src/topology/plan.js';
import { testServerForFile } from '../helpers/server.js';

const EXAMPLE = 'examples/ecommerce/switchyard.yaml';
const MARKER = { [MANAGED_TAG_KEY]: MANAGED_TAG_VALUE };

const t = testServerForFile();
let clients: ReturnType<typeof topologyClients>;
let topology: Topology;

async function queueUrl(name: string): Promise<string> {
  return (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';
}

async function queueAttributesOf(name: string): Promise<Record<string, string>> {
  const answer = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: await queueUrl(name), AttributeNames: ['All'] }),
  );
  return answer.Attributes ?? {};
}

const queueArn = async (name: string) => (await queueAttributesOf(name)).QueueArn ?? '';

async function alarmTags(arn: string | undefined): Promise<Record<string, string | undefined>> {
  const answer = await clients.cloudwatch.send(new ListAlarmTagsCommand({ ResourceARN: arn }));
  return Object.fromEntries((answer.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
}

async function alarmNames(names: string[]): Promise<(string | undefined)[]> {
  const { MetricAlarms = [] } = await clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names }));
  return MetricAlarms.map((a) => a.AlarmName);
}

/** Every resource of `topology` is on the server as declared, read back with the SDK's own calls. */
async function assertServerHas(topology: Topology): Promise<void> {
  const arns = new Map<string, string>();
  for (const queue of topology.queues) arns.set(queue.name, await queueArn(queue.name));
  for (const queue of topology.queues) {
    const attributes = await queueAttributesOf(queue.name);
    const declared = queueAttributes(queue, (name) => arns.get(name) ?? '');
    for (const [name, value] of Object.entries(declared)) {
      const actual = name === 'RedrivePolicy' ? JSON.stringify(JSON.parse(attributes[name] ?? '{}')) : attributes[name];
      assert.equal(actual, value, `queue ${queue.name}: ${name}`);
    }
    const tags = await clients.sqs.send(new ListQueueTagsCommand({ QueueUrl: await queueUrl(queue.name) }));
    assert.deepEqual(tags.Tags, { ...queue.tags, ...MARKER }, `queue ${queue.name}: tags`);
  }
  for (const rule of topology.rules) {
    const described = await clients.events.send(new DescribeRuleCommand({ Name: rule.name, EventBusName: rule.bus }));
    assert.equal(described.State, rule.state, `rule ${rule.name}: state`);
    assert.equal(described.Description, rule.description, `rule ${rule.name}: description`);
    if (rule.trigger.kind === 'pattern') {
      assert.deepEqual(JSON.parse(described.EventPattern ?? 'null'), rule.trigger.pattern, `rule ${rule.name}`);
    } else assert.equal(described.ScheduleExpression, rule.trigger.expression);
    const tags = await clients.events.send(new ListTagsForResourceCommand({ ResourceARN: described.Arn }));
    assert.deepEqual(
      Object.fromEntries((tags.Tags ?? []).map((tag) => [tag.Key, tag.Value])),
      { ...rule.tags, ...MARKER },
      `rule ${rule.name}: tags`,
    );
    const { Targets = [] } = await clients.events.send(
      new ListTargetsByRuleCommand({ Rule: rule.name, EventBusName: rule.bus }),
    );
    assert.deepEqual(
      Targets.map((target) => target.Id),
      rule.targets.map((target) => target.id),
      `rule ${rule.name}: targets`,
    );
    for (const target of rule.targets) {
      const actual = Targets.find((x) => x.Id === target.id);
      const d = target.destination;
      const arn = d.kind === 'queue' ? arns.get(d.queue) : d.kind === 'url' ? d.url : `event-bus/${d.bus}`;
      assert.ok(actual?.Arn?.endsWith(arn ?? '?'), `rule ${rule.name} target ${target.id}: ${actual?.Arn}`);
      if (d.kind === 'queue') assert.equal(actual?.SqsParameters?.MessageGroupId, d.messageGroupId);
      if (d.kind === 'url') assert.deepEqual(actual?.HttpParameters?.HeaderParameters, d.headerParameters);
      if (target.input.kind === 'transformer') {
        assert.deepEqual(actual?.InputTransformer, {
          InputPathsMap: target.input.inputPathsMap,
          InputTemplate: target.input.inputTemplate,
        });
      } else assert.equal(actual?.InputTransformer, undefined);
      assert.deepEqual(actual?.RetryPolicy, {
        MaximumRetryAttempts: target.retryPolicy.maximumRetryAttempts,
        MaximumEventAgeInSeconds: target.retryPolicy.maximumEventAgeInSeconds,
      });
      assert.equal(
        actual?.DeadLetterConfig?.Arn,
        target.deadLetterQueue === undefined ? undefined : arns.get(target.deadLetterQueue),
      );
    }
  }
  const { MetricAlarms = [] } = await clients.cloudwatch.send(
    new DescribeAlarmsCommand({ AlarmNames: topology.alarms.map((a) => a.name), MaxRecords: 100 }),
  );
  assert.equal(MetricAlarms.length, topology.alarms.length);
  for (const alarm of topology.alarms) {
    const actual = MetricAlarms.find((a) => a.AlarmName === alarm.name);
    assert.ok(actual, `alarm ${alarm.name}`);
    assert.equal(actual.Namespace, alarm.namespace);
    assert.equal(actual.MetricName, alarm.metric);
    assert.deepEqual(
      Object.fromEntries((actual.Dimensions ?? []).map((d) => [d.Name, d.Value])),
      alarm.dimensions,
      `alarm ${alarm.name}: dimensions`,
    );
    assert.equal(actual.Statistic, alarm.statistic);
    assert.equal(actual.Period, alarm.period);
    assert.equal(actual.EvaluationPeriods, alarm.evaluationPeriods);
    assert.equal(actual.DatapointsToAlarm, alarm.datapointsToAlarm);
    assert.equal(actual.Threshold, alarm.threshold);
    assert.equal(actual.ComparisonOperator, alarm.comparison);
    assert.equal(actual.TreatMissingData, alarm.treatMissingData);
    assert.equal(actual.AlarmDescription, alarm.description);
    const expectedActions = await Promise.all(
      alarm.actions.alarm.map((a) => (a.kind === 'queue' ? queueArn(a.queue) : a.url)),
    );
    assert.deepEqual(actual.AlarmActions, expectedActions);
    assert.deepEqual(await alarmTags(actual.AlarmArn), { ...alarm.tags, ...MARKER }, `alarm ${alarm.name}: tags`);
  }
}

const countOf = (t: Topology) =>
  t.queues.length +
  t.buses.length +
  t.rules.length +
  t.rules.reduce((n, r) => n + r.targets.length, 0) +
  t.alarms.length;

describe(`apply ${EXAMPLE}`, () => {
  before(async () => {
    clients = topologyClients({
      endpoint: t.server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    });
    topology = await loadTopology(EXAMPLE);
  });
  after(() => clients.destroy());

  test('an empty server gets every queue, bus, rule, target and alarm as declared', async () => {
    const { plan: first, done } = await applyTopology(topology, clients);
    assert.deepEqual(first.errors, []);
    assert.equal(first.changes.length, countOf(topology));
    assert.ok(first.changes.every((c) => c.action === 'create'));
    assert.equal(done.length, first.changes.length);
    await assertServerHas(topology);
  });

  test('applied again: no changes', async () => {
    const { plan: second, done } = await applyTopology(topology, clients);
    assert.deepEqual(second.changes, [], formatPlan(second));
    assert.deepEqual(second.errors, []);
    assert.equal(formatPlan(second), 'No changes.');
    assert.deepEqual(done, []);
  });

  test('an event put on a bus reaches the queue its rule targets', async () => {
    // A rule that matches on `source` alone and delivers the event whole to a standard queue.
    const rule = topology.rules.find(
      (r) =>
        r.trigger.kind === 'pattern' &&
        Object.keys(r.trigger.pattern).join() === 'source' &&
        r.targets.some(
          (x) =>
            x.destination.kind === 'queue' &&
            x.input.kind === 'event' &&
            !topology.queues.find((q) => x.destination.kind === 'queue' && q.name === x.destination.queue)?.fifo,
        ),
    ) as TopologyRule;
    assert.ok(rule, 'the example has a rule that matches on source and delivers to a standard queue');
    const source = (rule.trigger.kind === 'pattern' ? (rule.trigger.pattern.source as string[]) : [])[0] ?? '';
    const target = rule.targets.find((x) => x.destination.kind === 'queue' && x.input.kind === 'event');
    const queue = target?.destination.kind === 'queue' ? target.destination.queue : '';
    const put = await clients.events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: rule.bus,
            Source: source,
            DetailType: 'Topology Apply Test',
            Detail: JSON.stringify({ check: 'apply' }),
          },
        ],
      }),
    );
    assert.equal(put.FailedEntryCount, 0);
    const received = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: await queueUrl(queue), WaitTimeSeconds: 5, MaxNumberOfMessages: 10 }),
    );
    const events = (received.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}') as Record<string, unknown>);
    assert.ok(
      events.some((e) => e.source === source && e['detail-type'] === 'Topology Apply Test'),
      `no event in ${queue}: ${JSON.stringify(events)}`,
    );
  });

  test('an edited file: the plan shows exactly the edits, and applying them gives the edited state', async () => {
    // Edits: one visibility timeout, one rule removed, one queue added.
    const edited = topology.queues.find((q) => !q.fifo) as TopologyQueue;
    const removed = topology.rules.find((r) => r.bus !== DEFAULT_BUS && r.targets.length > 0) as TopologyRule;
    const added: TopologyQueue = {
      ...edited,
      name: 'topology-test-added',
      visibilityTimeout: 45,
      deadLetter: undefined,
      tags: { team: 'tests' },
    };
    const next: Topology = {
      ...topology,
      queues: [
        ...topology.queues.map((q) => (q === edited ? { ...q, visibilityTimeout: q.visibilityTimeout + 15 } : q)),
        added,
      ],
      rules: topology.rules.filter((r) => r !== removed),
    };
    const dry = await applyTopology(next, clients, { dryRun: true });
    const on = removed.bus === DEFAULT_BUS ? '' : ` (bus ${removed.bus})`;
    assert.deepEqual(formatPlan(dry.plan).split('\n'), [
      `~ queue ${edited.name}: visibilityTimeout ${edited.visibilityTimeout} → ${edited.visibilityTimeout + 15}`,
      '+ queue topology-test-added',
      ...removed.targets.map((x) => `- target ${removed.name}/${x.id}${on}`),
      `- rule ${removed.name}${on}`,
      '',
      `Plan: 1 to create, 1 to update, ${removed.targets.length + 1} to delete.`,
    ]);
    assert.deepEqual(dry.done, []);

    const { done } = await applyTopology(next, clients);
    assert.equal(done.length, dry.plan.changes.length);
    assert.equal((await queueAttributesOf(edited.name)).VisibilityTimeout, String(edited.visibilityTimeout + 15));
    await assert.rejects(
      clients.events.send(new DescribeRuleCommand({ Name: removed.name, EventBusName: removed.bus })),
      { name: 'ResourceNotFoundException' },
    );
    await assertServerHas(next);
    const again = await applyTopology(next, clients, { dryRun: true });
    assert.equal(formatPlan(again.plan), 'No changes.');

    // Back to the file as it is: the added queue is the topology's (tagged), so it goes.
    const back = await applyTopology(topology, clients);
    assert.deepEqual(
      back.plan.changes.filter((c) => c.action === 'delete').map((c) => `${c.kind} ${c.name}`),
      ['queue topology-test-added'],
    );
    assert.equal(formatPlan((await applyTopology(topology, clients, { dryRun: true })).plan), 'No changes.');
  });

  test('alarms: tags changed in place; a removed alarm of the topology is deleted, an unmanaged one left alone', async () => {
    const [tagged, removed] = topology.alarms;
    assert.ok(tagged && removed, 'the example has two alarms');
    // An alarm someone else made, without the ownership tag.
    await clients.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'topology-test-unmanaged',
        Namespace: 'Tests',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    const next: Topology = {
      ...topology,
      alarms: topology.alarms
        .filter((a) => a !== removed)
        .map((a) => (a === tagged ? { ...a, tags: { ...a.tags, owner: 'tests' } } : a)),
    };
    const dry = await applyTopology(next, clients, { dryRun: true });
    assert.deepEqual(formatPlan(dry.plan).split('\n'), [
      `~ alarm ${tagged.name}: tags.owner (none) → "tests"`,
      `- alarm ${removed.name}`,
      '',
      'Not in the file and not managed by it (left alone):',
      '  alarm topology-test-unmanaged',
      '',
      'Plan: 0 to create, 1 to update, 1 to delete.',
    ]);
    await applyTopology(next, clients);
    assert.deepEqual(await alarmNames([removed.name]), []);
    assert.deepEqual(await alarmNames(['topology-test-unmanaged']), ['topology-test-unmanaged']);
    await assertServerHas(next);

    // Back to the file as it is: the removed alarm comes back, the extra tag goes (UntagResource).
    const back = await applyTopology(topology, clients);
    assert.deepEqual(
      back.plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`),
      [`update alarm ${tagged.name}`, `create alarm ${removed.name}`],
    );
    await assertServerHas(topology);
    await clients.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: ['topology-test-unmanaged'] }));
    assert.equal(formatPlan((await applyTopology(topology, clients, { dryRun: true })).plan), 'No changes.');
  });

  test('a change the server refuses stops the apply, naming the change and the AWS error', async () => {
    const target = topology.queues.find((q) => !q.fifo && q.deadLetter === undefined) as TopologyQueue;
    const next: Topology = {
      ...topology,
      queues: topology.queues.map((q) => (q === target ? { ...q, delaySeconds: 7 } : q)),
      alarms: topology.alarms.map((a, i) => (i === 0 ? { ...a, threshold: a.threshold + 1 } : a)),
    };
    const p = plan(next, await readCurrentState(clients));
    assert.deepEqual(
      p.changes.map((c) => `${c.action} ${c.kind} ${c.name}`),
      [`update queue ${target.name}`, `update alarm ${topology.alarms[0]?.name}`],
    );
    // The queue goes away between plan and apply.
    await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: await queueUrl(target.name) }));
    await assert.rejects(applyPlan(p, clients), (error: unknown) => {
      assert.ok(error instanceof ApplyError);
      assert.equal(error.change, p.changes[0]);
      assert.deepEqual(error.done, []);
      assert.match(error.message, new RegExp(`^cannot update queue ${target.name}: QueueDoesNotExist: `));
      return true;
    });
  });
});
