// The CloudFormation export, checked structurally: every resource the topology declares is there with its name,
// every Ref and Fn::GetAtt points at a logical id of the template (with an attribute that resource type has), each
// queue that rules or alarms send to has one policy naming exactly those senders, and redrive policies point at the
// right dead-letter queues. When cfn-lint is installed, the templates must pass it too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  type CloudFormationTemplate,
  loadTopology,
  parseTopology,
  type Topology,
  toCloudFormation,
} from '../../src/topology/index.js';

const EXAMPLE = 'examples/ecommerce/switchyard.yaml';

/** The attributes Fn::GetAtt may read, per resource type used by the export. */
const ATTRIBUTES: Record<string, readonly string[]> = {
  'AWS::SQS::Queue': ['Arn', 'QueueName', 'QueueUrl'],
  'AWS::Events::EventBus': ['Arn', 'Name'],
  'AWS::Events::Rule': ['Arn'],
  'AWS::Events::ApiDestination': ['Arn'],
  'AWS::Events::Connection': ['Arn', 'SecretArn'],
  'AWS::IAM::Role': ['Arn', 'RoleId'],
  'AWS::SNS::Topic': ['TopicArn', 'TopicName'],
};

type Json = unknown;

/** Every Ref, Fn::GetAtt and Fn::Sub variable in a template value, with where it is. */
function references(
  value: Json,
  where = '',
): { kind: 'Ref' | 'GetAtt' | 'Sub'; id: string; attr?: string; where: string }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => references(v, `${where}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  const record = value as Record<string, Json>;
  const found: ReturnType<typeof references> = [];
  if (typeof record.Ref === 'string') found.push({ kind: 'Ref', id: record.Ref, where });
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt)) found.push({ kind: 'GetAtt', id: String(getAtt[0]), attr: String(getAtt[1]), where });
  const sub = record['Fn::Sub'];
  if (typeof sub === 'string') {
    for (const match of sub.matchAll(/\$\{([^}]+)\}/g)) found.push({ kind: 'Sub', id: match[1] ?? '', where });
  }
  for (const [key, v] of Object.entries(record)) found.push(...references(v, `${where}.${key}`));
  return found;
}

const PSEUDO_PARAMETERS = new Set([
  'AWS::Partition',
  'AWS::Region',
  'AWS::AccountId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

function assertReferencesResolve(template: CloudFormationTemplate): void {
  const parameters = template.Parameters ?? {};
  for (const r of references(template)) {
    if (PSEUDO_PARAMETERS.has(r.id)) continue;
    if (r.kind === 'Ref') {
      assert.ok(r.id in template.Resources || r.id in parameters, `${r.where}: Ref ${r.id} points at nothing`);
      continue;
    }
    const resource = template.Resources[r.id];
    assert.ok(resource, `${r.where}: ${r.kind} ${r.id} points at no resource`);
    if (r.kind === 'GetAtt') {
      assert.ok(
        ATTRIBUTES[resource.Type]?.includes(r.attr ?? ''),
        `${r.where}: ${resource.Type} ${r.id} has no attribute ${r.attr}`,
      );
    }
  }
}

/** The one resource of `type` whose property `key` is `value`. */
function byProperty(template: CloudFormationTemplate, type: string, key: string, value: unknown) {
  const found = Object.entries(template.Resources).filter(
    ([, r]) => r.Type === type && JSON.stringify(r.Properties[key]) === JSON.stringify(value),
  );
  assert.equal(found.length, 1, `${type} with ${key} ${JSON.stringify(value)}: ${found.length} found`);
  const [id, resource] = found[0] as [string, CloudFormationTemplate['Resources'][string]];
  return { id, properties: resource.Properties };
}

/** The source ARNs each QueuePolicy lets send to its queue, per service principal, keyed by queue logical id. */
function policies(template: CloudFormationTemplate): Map<string, Map<string, Json[]>> {
  const out = new Map<string, Map<string, Json[]>>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::SQS::QueuePolicy') continue;
    const queues = resource.Properties.Queues as { Ref: string }[];
    assert.equal(queues.length, 1, 'one queue per policy');
    const queue = queues[0]?.Ref ?? '';
    assert.ok(!out.has(queue), `queue ${queue} has two policies: the second would replace the first`);
    const byService = new Map<string, Json[]>();
    const document = resource.Properties.PolicyDocument as { Statement: Record<string, Json>[] };
    for (const statement of document.Statement) {
      assert.equal(statement.Effect, 'Allow');
      assert.equal(statement.Action, 'sqs:SendMessage');
      assert.deepEqual(statement.Resource, { 'Fn::GetAtt': [queue, 'Arn'] });
      const service = (statement.Principal as { Service: string }).Service;
      const arns = (statement.Condition as { ArnEquals: { 'aws:SourceArn': Json } }).ArnEquals['aws:SourceArn'];
      byService.set(service, Array.isArray(arns) ? arns : [arns]);
    }
    out.set(queue, byService);
  }
  return out;
}

function checkTemplate(topology: Topology, template: CloudFormationTemplate): void {
  assert.equal(template.AWSTemplateFormatVersion, '2010-09-09');
  for (const id of [
    ...Object.keys(template.Resources),
    ...Object.keys(template.Parameters ?? {}),
    ...Object.keys(template.Outputs),
  ]) {
    assert.match(id, /^[A-Za-z][A-Za-z0-9]{0,254}$/, `logical id ${id}`);
  }
  const allIds = [
    ...Object.keys(template.Resources),
    ...Object.keys(template.Parameters ?? {}),
    ...Object.keys(template.Outputs),
  ];
  assert.equal(new Set(allIds).size, allIds.length, 'logical ids are unique across the template');
  assertReferencesResolve(template);

  const queueIds = new Map(
    topology.queues.map((q) => [q.name, byProperty(template, 'AWS::SQS::Queue', 'QueueName', q.name).id]),
  );
  const ruleIds = new Map(
    topology.rules.map((r) => [r.name, byProperty(template, 'AWS::Events::Rule', 'Name', r.name).id]),
  );
  const busIds = new Map(
    topology.buses.map((b) => [b.name, byProperty(template, 'AWS::Events::EventBus', 'Name', b.name).id]),
  );
  for (const alarm of topology.alarms) byProperty(template, 'AWS::CloudWatch::Alarm', 'AlarmName', alarm.name);
  const count = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type).length;
  assert.equal(count('AWS::SQS::Queue'), topology.queues.length);
  assert.equal(count('AWS::Events::EventBus'), topology.buses.length);
  assert.equal(count('AWS::Events::Rule'), topology.rules.length);
  assert.equal(count('AWS::CloudWatch::Alarm'), topology.alarms.length);

  // Queues: FIFO settings and redrive policies.
  for (const queue of topology.queues) {
    const properties = template.Resources[queueIds.get(queue.name) ?? '']?.Properties ?? {};
    assert.equal(properties.FifoQueue, queue.fifo ? true : undefined, queue.name);
    assert.equal(properties.VisibilityTimeout, queue.visibilityTimeout);
    assert.deepEqual(
      properties.RedrivePolicy,
      queue.deadLetter
        ? {
            deadLetterTargetArn: { 'Fn::GetAtt': [queueIds.get(queue.deadLetter.queue), 'Arn'] },
            maxReceiveCount: queue.deadLetter.maxReceiveCount,
          }
        : undefined,
      `${queue.name}: RedrivePolicy`,
    );
  }

  // Rules: bus, trigger, targets.
  for (const rule of topology.rules) {
    const properties = template.Resources[ruleIds.get(rule.name) ?? '']?.Properties ?? {};
    assert.deepEqual(properties.EventBusName, rule.bus === 'default' ? 'default' : { Ref: busIds.get(rule.bus) });
    if (rule.trigger.kind === 'pattern') assert.deepEqual(properties.EventPattern, rule.trigger.pattern);
    else assert.equal(properties.ScheduleExpression, rule.trigger.expression);
    const targets = properties.Targets as Record<string, Json>[];
    assert.deepEqual(
      targets.map((t) => t.Id),
      rule.targets.map((t) => t.id),
    );
    rule.targets.forEach((target, i) => {
      const cfn = targets[i] ?? {};
      const destination = target.destination;
      if (destination.kind === 'queue') {
        assert.deepEqual(cfn.Arn, { 'Fn::GetAtt': [queueIds.get(destination.queue), 'Arn'] });
        assert.deepEqual(
          cfn.SqsParameters,
          destination.messageGroupId ? { MessageGroupId: destination.messageGroupId } : undefined,
        );
      } else {
        // Buses and API destinations are reached through the role, which may do exactly that.
        const roleId = (cfn.RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] ?? '';
        const role = template.Resources[roleId];
        assert.ok(role);
        assert.equal(role.Type, 'AWS::IAM::Role');
        const statements = (role.Properties.Policies as { PolicyDocument: { Statement: { Resource: Json[] }[] } }[])
          .flatMap((p) => p.PolicyDocument.Statement)
          .flatMap((s) => s.Resource);
        assert.ok(
          statements.some((r) => JSON.stringify(r) === JSON.stringify(cfn.Arn)),
          `${rule.name}/${target.id}: the role may not reach ${JSON.stringify(cfn.Arn)}`,
        );
        if (destination.kind === 'url') {
          const apiDestination = template.Resources[(cfn.Arn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] ?? ''];
          assert.equal(apiDestination?.Type, 'AWS::Events::ApiDestination');
          assert.equal(apiDestination?.Properties.InvocationEndpoint, destination.url);
        }
      }
      assert.deepEqual(cfn.RetryPolicy, {
        MaximumRetryAttempts: target.retryPolicy.maximumRetryAttempts,
        MaximumEventAgeInSeconds: target.retryPolicy.maximumEventAgeInSeconds,
      });
      assert.deepEqual(
        cfn.DeadLetterConfig,
        target.deadLetterQueue ? { Arn: { 'Fn::GetAtt': [queueIds.get(target.deadLetterQueue), 'Arn'] } } : undefined,
      );
    });
  }

  // Queue policies: exactly the rules that deliver to a queue (as a target or a target's DLQ), and the alarm topics.
  const found = policies(template);
  for (const queue of topology.queues) {
    const queueId = queueIds.get(queue.name) ?? '';
    const senders = topology.rules
      .filter((r) =>
        r.targets.some(
          (t) =>
            (t.destination.kind === 'queue' && t.destination.queue === queue.name) || t.deadLetterQueue === queue.name,
        ),
      )
      .map((r) => ({ 'Fn::GetAtt': [ruleIds.get(r.name), 'Arn'] }));
    const notified = topology.alarms.some((a) =>
      [...a.actions.alarm, ...a.actions.ok, ...a.actions.insufficientData].some(
        (x) => x.kind === 'queue' && x.queue === queue.name,
      ),
    );
    const policy = found.get(queueId);
    if (senders.length === 0 && !notified) {
      assert.equal(policy, undefined, `${queue.name}: nothing sends to it, so no policy`);
      continue;
    }
    assert.ok(policy, `${queue.name} has no QueuePolicy`);
    assert.deepEqual(policy.get('events.amazonaws.com'), senders.length > 0 ? senders : undefined, queue.name);
    assert.equal(policy.has('sns.amazonaws.com'), notified, queue.name);
  }
}

describe('the e-commerce example as CloudFormation', () => {
  test('every resource, reference, policy and redrive policy is present and consistent', async () => {
    const topology = await loadTopology(EXAMPLE);
    const template = toCloudFormation(topology);
    checkTemplate(topology, template);
    // The example's own wiring, spelled out.
    assert.deepEqual(template.Resources.QueueOrdersFifo?.Properties.RedrivePolicy, {
      deadLetterTargetArn: { 'Fn::GetAtt': ['QueueOrdersDlqFifo', 'Arn'] },
      maxReceiveCount: 5,
    });
    const alarmRule = template.Resources.RuleAlarmStateChanges?.Properties;
    assert.ok(alarmRule);
    assert.equal(alarmRule.EventBusName, 'default');
    assert.deepEqual(alarmRule.EventPattern, {
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
    });
    assert.deepEqual((alarmRule.Targets as Json[])[0], {
      Id: 'ops-alerts',
      Arn: { 'Fn::GetAtt': ['QueueOpsAlerts', 'Arn'] },
      RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
    });
    assert.deepEqual(template.Resources.QueuePolicyOpsAlerts?.Properties.PolicyDocument, {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'EventBridgeRules',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: { 'Fn::GetAtt': ['QueueOpsAlerts', 'Arn'] },
          Condition: { ArnEquals: { 'aws:SourceArn': [{ 'Fn::GetAtt': ['RuleAlarmStateChanges', 'Arn'] }] } },
        },
      ],
    });
    const webhook = (
      template.Resources.RuleLowStockWebhook?.Properties.Targets as Record<string, Json>[] | undefined
    )?.[0];
    assert.deepEqual(webhook?.Arn, { 'Fn::GetAtt': ['ApiDestination127001WebhooksLowStock', 'Arn'] });
    assert.deepEqual(webhook?.HttpParameters, { HeaderParameters: { 'X-Switchyard-Source': 'low-stock-webhook' } });
    assert.equal(template.Resources.Connection1270014567?.Properties.AuthorizationType, 'API_KEY');
    assert.equal(template.Parameters?.Connection1270014567ApiKeyValue?.NoEcho, true);
    assert.match(template.Metadata.Switchyard.Notes.join('\n'), /not HTTPS/);
  });
});

/** Alarm actions to a queue and a URL, HTTP targets, a FIFO target, and two names that share a logical id. */
const FIXTURE = `
version: 1
queues:
  ops-alerts: {}
  orders: { deadLetterQueue: orders-dlq }
  orders-dlq: {}
  orders_dlq: {}
  stock.fifo: { contentBasedDeduplication: true }
rules:
  r:
    pattern: { source: [x] }
    targets:
      - { id: a, queue: stock.fifo, messageGroupId: g, deadLetterQueue: orders_dlq }
      - { id: b, url: 'https://hooks.example.com/a', inputTransformer: { inputTemplate: '"<aws.events.rule-name>"' } }
      - { id: c, url: 'https://hooks.example.com/b', input: '{"x":1}' }
alarms:
  dlq:
    namespace: AWS/SQS
    metric: ApproximateNumberOfMessagesVisible
    dimensions: { QueueName: orders-dlq }
    statistic: Maximum
    period: 60
    evaluationPeriods: 1
    threshold: 0
    comparison: GreaterThanThreshold
    actions:
      alarm: [{ queue: ops-alerts }, { url: 'https://pager.example.com/hook' }]
      ok: [{ queue: ops-alerts }]
`;

describe('what AWS needs in between', () => {
  const topology = parseTopology(FIXTURE);
  const template = toCloudFormation(topology);

  test('is consistent', () => checkTemplate(topology, template));

  test('alarm actions go through SNS: a topic and subscription per queue or URL, and a queue policy for the topic', () => {
    const alarm = template.Resources.AlarmDlq?.Properties;
    assert.deepEqual(alarm?.AlarmActions, [{ Ref: 'AlarmTopicOpsAlerts' }, { Ref: 'AlarmTopicPagerExampleComHook' }]);
    assert.deepEqual(alarm?.OKActions, [{ Ref: 'AlarmTopicOpsAlerts' }]);
    assert.deepEqual(template.Resources.AlarmSubscriptionOpsAlerts?.Properties, {
      TopicArn: { Ref: 'AlarmTopicOpsAlerts' },
      Protocol: 'sqs',
      Endpoint: { 'Fn::GetAtt': ['QueueOpsAlerts', 'Arn'] },
      RawMessageDelivery: true,
    });
    assert.deepEqual(template.Resources.AlarmSubscriptionPagerExampleComHook?.Properties, {
      TopicArn: { Ref: 'AlarmTopicPagerExampleComHook' },
      Protocol: 'https',
      Endpoint: 'https://pager.example.com/hook',
    });
    assert.deepEqual(policies(template).get('QueueOpsAlerts')?.get('sns.amazonaws.com'), [
      { Ref: 'AlarmTopicOpsAlerts' },
    ]);
  });

  test('one connection per URL origin, one API destination per URL', () => {
    const types = Object.values(template.Resources).map((r) => r.Type);
    assert.equal(types.filter((t) => t === 'AWS::Events::Connection').length, 1);
    assert.equal(types.filter((t) => t === 'AWS::Events::ApiDestination').length, 2);
    const targets = (template.Resources.RuleR?.Properties.Targets ?? []) as Record<string, Json>[];
    assert.deepEqual(targets[1]?.InputTransformer, { InputTemplate: '"<aws.events.rule-name>"' });
    assert.equal(targets[2]?.Input, '{"x":1}');
  });

  test('names that would share a logical id get one each, from a hash of the name', () => {
    const ids = Object.keys(template.Resources).filter((id) => id.startsWith('QueueOrdersDlq'));
    assert.equal(ids.length, 2);
    for (const id of ids) assert.match(id, /^QueueOrdersDlq[0-9A-F]{8}$/);
    // Stable: the same names give the same ids whatever else is declared.
    const smaller = toCloudFormation(
      parseTopology('version: 1\nqueues:\n  orders-dlq: {}\n  orders_dlq: {}\n  other: {}\n'),
    );
    assert.deepEqual(
      Object.keys(smaller.Resources)
        .filter((id) => id.startsWith('QueueOrdersDlq'))
        .sort(),
      [...ids].sort(),
    );
  });
});

const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
describe('cfn-lint', { skip: cfnLint.status === 0 ? false : 'cfn-lint is not installed' }, () => {
  test('passes the exported templates', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-cfn-'));
    try {
      const example = path.join(dir, 'example.json');
      writeFileSync(example, JSON.stringify(toCloudFormation(await loadTopology(EXAMPLE)), null, 2));
      const fixture = path.join(dir, 'fixture.json');
      writeFileSync(fixture, JSON.stringify(toCloudFormation(parseTopology(FIXTURE)), null, 2));
      const result = spawnSync('cfn-lint', [example, fixture], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(result.status, 0, result.stdout + result.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
