// CloudWatch metric alarms through @aws-sdk/client-cloudwatch, on a manual clock: PutMetricAlarm, DescribeAlarms,
// DescribeAlarmsForMetric, DescribeAlarmHistory, DeleteAlarms, SetAlarmState, Enable/DisableAlarmActions, the tag
// APIs (ListTagsForResource, TagResource, UntagResource) and their errors; the state machine driven by PutMetricData and the clock (missing data included); a metric math alarm;
// and, end to end, an SQS backlog putting an AWS/SQS alarm into ALARM, its state-change event reaching a queue
// through an EventBridge rule on the default bus, and its actions: a notification message on a queue and a POST.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  type AlarmHistoryItem,
  type CloudWatchClient,
  type ComparisonOperator,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  DescribeAlarmsForMetricCommand,
  DisableAlarmActionsCommand,
  EnableAlarmActionsCommand,
  ListTagsForResourceCommand,
  type MetricAlarm,
  type MetricDataQuery,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import { type EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { type Message, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { ManualClock } from '../../src/core/clock.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import {
  cloudWatchClient,
  eventBridgeClient,
  startTestServer,
  type TestServer,
  tempDataDir,
} from '../helpers/server.js';
import { createQueue, rejectsWith, uniq } from '../helpers/sqs.js';
import { waitFor as waitUntil } from '../helpers/wait.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const MINUTE = 60_000;
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const alarmArn = (name: string) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;

// 30 seconds into a minute: data put "now" falls inside the minute that the next evaluation looks at last.
const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 30));

/** Moves the clock to `seconds` past the next whole minute. */
function nextMinute(seconds = 5): void {
  clock.set((Math.floor(clock.now() / MINUTE) + 1) * MINUTE + seconds * 1000);
}

/** A receiver of the POSTs of HTTP alarm actions, answering each with `status`. */
class Receiver {
  readonly bodies: string[] = [];
  status = 200;
  private server: Server | undefined;

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.bodies.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(this.status).end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/**
 * The next message of a queue, polled without long polling: a long poll waits on the manual clock, which
 * does not move by itself.
 */
async function receive(t: TestServer, QueueUrl: string): Promise<Message> {
  return waitFor(`a message on ${QueueUrl}`, async () => {
    const out = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
    return out.Messages?.[0];
  });
}

/** Alarm tests wait at most 5 s: the manual clock drives everything else. */
const waitFor = <T>(what: string, probe: () => T | Promise<T>) => waitUntil(what, probe, 5000);

describe('CloudWatch metric alarms', () => {
  let t: TestServer;
  let cw: CloudWatchClient;
  let events: EventBridgeClient;
  const receiver = new Receiver();
  let hookUrl: string;

  before(async () => {
    t = await startTestServer({ clock });
    cw = cloudWatchClient(t.server.url);
    events = eventBridgeClient(t.server.url);
    hookUrl = await receiver.start();
  });
  after(async () => {
    cw.destroy();
    events.destroy();
    await receiver.stop();
    await t.stop();
  });

  const evaluate = () => t.server.alarms.evaluateDue();

  async function putAlarm(input: Partial<PutMetricAlarmCommandInput> & { AlarmName: string }) {
    await cw.send(
      new PutMetricAlarmCommand({
        Namespace: 'Shop/Checkout',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 10,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        ...input,
      }),
    );
  }

  async function describe1(name: string): Promise<MetricAlarm> {
    const out = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
    const alarm = out.MetricAlarms?.[0];
    assert.ok(alarm, `alarm ${name} exists`);
    return alarm;
  }

  async function history(name: string, type?: 'ConfigurationUpdate' | 'StateUpdate' | 'Action') {
    const out = await cw.send(
      new DescribeAlarmHistoryCommand({ AlarmName: name, HistoryItemType: type, ScanBy: 'TimestampAscending' }),
    );
    return out.AlarmHistoryItems ?? [];
  }

  async function putValue(
    namespace: string,
    metric: string,
    value: number,
    dimensions = [{ Name: 'Shop', Value: 'eu' }],
  ) {
    await cw.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [{ MetricName: metric, Dimensions: dimensions, Value: value, Unit: 'Count' }],
      }),
    );
  }

  test('PutMetricAlarm creates an alarm in INSUFFICIENT_DATA; DescribeAlarms returns every member', async () => {
    const name = uniq('checkout-errors');
    const created = clock.now();
    await putAlarm({
      AlarmName: name,
      AlarmDescription: 'Checkout errors are high',
      Dimensions: [{ Name: 'Shop', Value: 'eu' }],
      Unit: 'Count',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'ignore',
      AlarmActions: [queueArn('nowhere'), 'arn:aws:sns:us-east-1:000000000000:ops'],
      OKActions: [hookUrl],
    });
    await evaluate();
    const alarm = await describe1(name);
    assert.equal(alarm.AlarmArn, alarmArn(name));
    assert.equal(alarm.AlarmDescription, 'Checkout errors are high');
    assert.equal(alarm.StateValue, 'INSUFFICIENT_DATA');
    assert.equal(alarm.StateReason, 'Unchecked: Initial alarm creation');
    assert.equal(alarm.ActionsEnabled, true);
    assert.deepEqual(alarm.AlarmActions, [queueArn('nowhere'), 'arn:aws:sns:us-east-1:000000000000:ops']);
    assert.deepEqual(alarm.OKActions, [hookUrl]);
    assert.deepEqual(alarm.InsufficientDataActions, []);
    assert.equal(alarm.Namespace, 'Shop/Checkout');
    assert.equal(alarm.MetricName, 'Errors');
    assert.equal(alarm.Statistic, 'Sum');
    assert.deepEqual(alarm.Dimensions, [{ Name: 'Shop', Value: 'eu' }]);
    assert.equal(alarm.Period, 60);
    assert.equal(alarm.Unit, 'Count');
    assert.equal(alarm.EvaluationPeriods, 3);
    assert.equal(alarm.DatapointsToAlarm, 2);
    assert.equal(alarm.Threshold, 10);
    assert.equal(alarm.ComparisonOperator, 'GreaterThanOrEqualToThreshold');
    assert.equal(alarm.TreatMissingData, 'ignore');
    assert.equal(alarm.AlarmConfigurationUpdatedTimestamp?.getTime(), created);
    assert.equal(alarm.StateUpdatedTimestamp?.getTime(), created);
    assert.equal(alarm.StateTransitionedTimestamp?.getTime(), created);

    const [item, ...rest] = await history(name);
    assert.equal(rest.length, 0);
    assert.equal(item?.HistoryItemType, 'ConfigurationUpdate');
    assert.equal(item?.HistorySummary, `Alarm "${name}" created`);
    assert.equal(item?.AlarmType, 'MetricAlarm');
    const data = JSON.parse(item?.HistoryData ?? '{}');
    assert.equal(data.type, 'Create');
    assert.equal(data.createdAlarm.alarmName, name);
    assert.equal(data.createdAlarm.threshold, 10);
    assert.deepEqual(data.createdAlarm.oKActions, [hookUrl]);
  });

  test('an update keeps the state and records the fields it changed', async () => {
    const name = uniq('update');
    await putAlarm({ AlarmName: name, TreatMissingData: 'ignore' });
    await cw.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'ALARM', StateReason: 'testing' }));
    await putAlarm({ AlarmName: name, TreatMissingData: 'ignore', Threshold: 25 });
    const alarm = await describe1(name);
    assert.equal(alarm.StateValue, 'ALARM');
    assert.equal(alarm.StateReason, 'testing');
    assert.equal(alarm.Threshold, 25);
    const updates = await history(name, 'ConfigurationUpdate');
    assert.deepEqual(
      updates.map((i) => i.HistorySummary),
      [`Alarm "${name}" created`, `Alarm "${name}" updated`],
    );
    const data = JSON.parse(updates[1]?.HistoryData ?? '{}');
    assert.equal(data.type, 'Update');
    assert.equal(data.originalUpdatedFields.threshold, 10);
    assert.equal(data.updatedAlarm.threshold, 25);
  });

  test('DescribeAlarms filters by names, prefix, state, action prefix and type, and pages', async () => {
    const prefix = uniq('filter');
    for (const n of ['a', 'b', 'c', 'd']) {
      await putAlarm({
        AlarmName: `${prefix}-${n}`,
        Namespace: `Filter/${prefix}`,
        AlarmActions: n === 'c' ? [hookUrl] : [],
      });
    }
    await cw.send(new SetAlarmStateCommand({ AlarmName: `${prefix}-b`, StateValue: 'OK', StateReason: 'fine' }));
    const names = async (input: DescribeAlarmsCommandInput) =>
      ((await cw.send(new DescribeAlarmsCommand(input))).MetricAlarms ?? []).map((a) => a.AlarmName);

    assert.deepEqual(
      await names({ AlarmNamePrefix: prefix }),
      ['a', 'b', 'c', 'd'].map((n) => `${prefix}-${n}`),
    );
    assert.deepEqual(await names({ AlarmNames: [`${prefix}-d`, `${prefix}-a`, 'missing'] }), [
      `${prefix}-a`,
      `${prefix}-d`,
    ]);
    assert.deepEqual(await names({ AlarmNamePrefix: prefix, StateValue: 'OK' }), [`${prefix}-b`]);
    assert.deepEqual(await names({ AlarmNamePrefix: prefix, ActionPrefix: hookUrl.slice(0, 20) }), [`${prefix}-c`]);
    assert.deepEqual(await names({ AlarmNamePrefix: prefix, AlarmTypes: ['CompositeAlarm'] }), []);
    const composite = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix }));
    assert.deepEqual(composite.CompositeAlarms, []);

    const first = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, MaxRecords: 3 }));
    assert.equal(first.MetricAlarms?.length, 3);
    assert.ok(first.NextToken);
    const second = await cw.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, MaxRecords: 3, NextToken: first.NextToken }),
    );
    assert.deepEqual(
      second.MetricAlarms?.map((a) => a.AlarmName),
      [`${prefix}-d`],
    );
    assert.equal(second.NextToken, undefined);
  });

  test('DescribeAlarmsForMetric finds the single-metric alarms of exactly that metric', async () => {
    const ns = uniq('ForMetric');
    await putAlarm({ AlarmName: uniq('fm-eu'), Namespace: ns, Dimensions: [{ Name: 'Shop', Value: 'eu' }] });
    await putAlarm({
      AlarmName: uniq('fm-eu-max'),
      Namespace: ns,
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'Shop', Value: 'eu' }],
    });
    await putAlarm({ AlarmName: uniq('fm-us'), Namespace: ns, Dimensions: [{ Name: 'Shop', Value: 'us' }] });
    await putAlarm({ AlarmName: uniq('fm-none'), Namespace: ns });
    const found = async (input: Partial<ConstructorParameters<typeof DescribeAlarmsForMetricCommand>[0]>) =>
      (
        (await cw.send(new DescribeAlarmsForMetricCommand({ Namespace: ns, MetricName: 'Errors', ...input })))
          .MetricAlarms ?? []
      )
        .map((a) => `${a.Statistic}:${JSON.stringify(a.Dimensions)}`)
        .sort();
    assert.deepEqual(await found({ Dimensions: [{ Name: 'Shop', Value: 'eu' }] }), [
      'Maximum:[{"Name":"Shop","Value":"eu"}]',
      'Sum:[{"Name":"Shop","Value":"eu"}]',
    ]);
    assert.deepEqual(await found({ Dimensions: [{ Name: 'Shop', Value: 'eu' }], Statistic: 'Maximum' }), [
      'Maximum:[{"Name":"Shop","Value":"eu"}]',
    ]);
    assert.deepEqual(await found({}), ['Sum:[]']);
    assert.deepEqual(await found({ MetricName: 'Other' }), []);
  });

  test('invalid requests get CloudWatch error codes', async () => {
    const bad = (input: Partial<PutMetricAlarmCommandInput>) =>
      cw.send(
        new PutMetricAlarmCommand({
          AlarmName: 'bad',
          Namespace: 'Shop/Bad',
          MetricName: 'Errors',
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanThreshold',
          ...input,
        } as PutMetricAlarmCommandInput),
      );
    await rejectsWith(bad({ AlarmName: undefined }), 'ValidationException', /Value null at 'alarmName'/);
    await rejectsWith(bad({ Period: 45 }), 'ValidationException', 'Period must be 10, 20, 30 or a multiple of 60');
    await rejectsWith(bad({ EvaluationPeriods: 2, DatapointsToAlarm: 3 }), 'ValidationException', /DatapointsToAlarm/);
    await rejectsWith(bad({ AlarmActions: ['not-an-arn'] }), 'ValidationException', 'Invalid arn syntax: not-an-arn');
    await rejectsWith(
      bad({ OKActions: ['arn:aws:sns:eu-west-1:000000000000:ops'] }),
      'ValidationException',
      'Invalid region eu-west-1 specified. Only us-east-1 is supported.',
    );
    await rejectsWith(bad({ ExtendedStatistic: 'p99' }), 'InvalidParameterCombinationException');
    await rejectsWith(bad({ Statistic: undefined }), 'ValidationException');
    await rejectsWith(
      bad({
        Metrics: [{ Id: 'm1', MetricStat: { Metric: { Namespace: 'A', MetricName: 'B' }, Period: 60, Stat: 'Sum' } }],
      }),
      'InvalidParameterCombinationException',
    );
    const metrics: MetricDataQuery[] = [
      { Id: 'm1', MetricStat: { Metric: { Namespace: 'A', MetricName: 'B' }, Period: 60, Stat: 'Sum' } },
      { Id: 'e1', Expression: 'm1 * 2' },
    ];
    const math = (m: typeof metrics) =>
      bad({ Namespace: undefined, MetricName: undefined, Statistic: undefined, Period: undefined, Metrics: m });
    await rejectsWith(
      math(metrics),
      'ValidationException',
      'Exactly one element of the metrics list should return data.',
    );
    await rejectsWith(
      math([
        { ...(metrics[0] as MetricDataQuery), ReturnData: false },
        { Id: 'e1', Expression: 'm1 +' },
      ]),
      'ValidationException',
    );
    await rejectsWith(
      bad({ ComparisonOperator: 'Sideways' as ComparisonOperator }),
      'ValidationException',
      /comparisonOperator/,
    );
    await rejectsWith(bad({ TreatMissingData: 'sometimes' }), 'ValidationException', /TreatMissingData/);

    await rejectsWith(
      cw.send(new SetAlarmStateCommand({ AlarmName: 'no-such-alarm', StateValue: 'OK', StateReason: 'x' })),
      'ResourceNotFound',
      undefined,
      404,
    );
    await putAlarm({ AlarmName: 'format-check' });
    await rejectsWith(
      cw.send(
        new SetAlarmStateCommand({
          AlarmName: 'format-check',
          StateValue: 'OK',
          StateReason: 'x',
          StateReasonData: '{not json',
        }),
      ),
      'InvalidFormatFault',
    );
    await rejectsWith(
      cw.send(new DescribeAlarmsCommand({ AlarmNames: ['a'], AlarmNamePrefix: 'a' })),
      'InvalidParameterCombinationException',
    );
    await rejectsWith(cw.send(new DescribeAlarmsCommand({ NextToken: 'garbage' })), 'InvalidNextToken');
    await rejectsWith(cw.send(new DescribeAlarmsCommand({ MaxRecords: 101 })), 'ValidationException');
    await rejectsWith(
      cw.send(new DescribeAlarmHistoryCommand({ ScanBy: 'Sideways' as 'TimestampAscending' })),
      'ValidationException',
    );
    await rejectsWith(cw.send(new DeleteAlarmsCommand({ AlarmNames: undefined })), 'ValidationException');
  });

  test('LimitExceeded once an account has maxAlarms alarms; updates still pass', async () => {
    const small = await startTestServer({ clock, limits: { ...DEFAULT_LIMITS, maxAlarms: 2 } });
    const client = cloudWatchClient(small.server.url);
    try {
      const put = (AlarmName: string) =>
        client.send(
          new PutMetricAlarmCommand({
            AlarmName,
            Namespace: 'Shop/Limit',
            MetricName: 'Errors',
            Statistic: 'Sum',
            Period: 60,
            EvaluationPeriods: 1,
            Threshold: 1,
            ComparisonOperator: 'GreaterThanThreshold',
          }),
        );
      await put('one');
      await put('two');
      await rejectsWith(put('three'), 'LimitExceededFault');
      await put('two');
      await client.send(new DeleteAlarmsCommand({ AlarmNames: ['one'] }));
      await put('three');
    } finally {
      client.destroy();
      await small.stop();
    }
  });

  test('alarms, their state and their history survive a restart', async () => {
    const dataDir = tempDataDir();
    const client = (url: string) => cloudWatchClient(url);
    try {
      const first = await startTestServer({ clock, dataDir });
      const before = client(first.server.url);
      await before.send(
        new PutMetricAlarmCommand({
          AlarmName: 'durable',
          Namespace: 'Shop/Durable',
          MetricName: 'Errors',
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'ignore',
        }),
      );
      await before.send(new SetAlarmStateCommand({ AlarmName: 'durable', StateValue: 'ALARM', StateReason: 'kept' }));
      before.destroy();
      await first.stop();

      const second = await startTestServer({ clock, dataDir });
      const after = client(second.server.url);
      try {
        const alarm = (await after.send(new DescribeAlarmsCommand({ AlarmNames: ['durable'] }))).MetricAlarms?.[0];
        assert.equal(alarm?.StateValue, 'ALARM');
        assert.equal(alarm?.StateReason, 'kept');
        const items = await after.send(new DescribeAlarmHistoryCommand({ AlarmName: 'durable' }));
        assert.deepEqual(
          items.AlarmHistoryItems?.map((i) => i.HistorySummary),
          ['Alarm updated from INSUFFICIENT_DATA to ALARM', 'Alarm "durable" created'],
        );
      } finally {
        after.destroy();
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('the state follows the data: M of N datapoints, then missing data', async () => {
    const ns = uniq('Machine');
    const name = uniq('state');
    await putAlarm({
      AlarmName: name,
      Namespace: ns,
      Dimensions: [{ Name: 'Shop', Value: 'eu' }],
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
    });
    await putValue(ns, 'Errors', 3);
    nextMinute();
    await evaluate();
    let alarm = await describe1(name);
    assert.equal(alarm.StateValue, 'OK');
    assert.match(alarm.StateReason ?? '', /^Threshold Crossed: 1 out of the last 1 datapoints \[3\.0 \(/);
    const okData = JSON.parse(alarm.StateReasonData ?? '{}');
    assert.equal(okData.statistic, 'Sum');
    assert.equal(okData.period, 60);
    assert.deepEqual(okData.recentDatapoints, [3]);

    // One breaching minute of two is not enough (2 of 2 must breach).
    await putValue(ns, 'Errors', 12);
    nextMinute();
    await evaluate();
    assert.equal((await describe1(name)).StateValue, 'OK');

    await putValue(ns, 'Errors', 7);
    await putValue(ns, 'Errors', 8);
    const breachAt = clock.now();
    nextMinute();
    const evaluatedAt = clock.now();
    await evaluate();
    alarm = await describe1(name);
    assert.equal(alarm.StateValue, 'ALARM');
    const m1 = new Date(breachAt - (breachAt % MINUTE));
    const m0 = new Date(m1.getTime() - MINUTE);
    const stamp = (d: Date) =>
      `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/26 ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:00`;
    assert.equal(
      alarm.StateReason,
      `Threshold Crossed: 2 out of the last 2 datapoints [15.0 (${stamp(m1)}), 12.0 (${stamp(m0)})] were greater than ` +
        'or equal to the threshold (10.0) (minimum 2 datapoints for OK -> ALARM transition).',
    );
    assert.equal(alarm.StateTransitionedTimestamp?.getTime(), evaluatedAt);

    // No more data: after the datapoints age out of the range (N + 2 = 4 periods), INSUFFICIENT_DATA.
    for (let i = 0; i < 4; i++) {
      nextMinute();
      await evaluate();
    }
    alarm = await describe1(name);
    assert.equal(alarm.StateValue, 'INSUFFICIENT_DATA');
    assert.equal(alarm.StateReason, 'Insufficient Data: 2 datapoints were unknown.');

    const states = await history(name, 'StateUpdate');
    assert.deepEqual(
      states.map((i) => i.HistorySummary),
      [
        'Alarm updated from INSUFFICIENT_DATA to OK',
        'Alarm updated from OK to ALARM',
        'Alarm updated from ALARM to INSUFFICIENT_DATA',
      ],
    );
    const change = JSON.parse(states[1]?.HistoryData ?? '{}');
    assert.equal(change.oldState.stateValue, 'OK');
    assert.equal(change.newState.stateValue, 'ALARM');
    assert.deepEqual(change.newState.stateReasonData.recentDatapoints, [12, 15]);
  });

  test('a 10-second alarm on high-resolution data is evaluated every period', async () => {
    const ns = uniq('HighRes');
    const name = uniq('high-res');
    const put = (value: number) =>
      cw.send(
        new PutMetricDataCommand({
          Namespace: ns,
          MetricData: [{ MetricName: 'Latency', Value: value, StorageResolution: 1 }],
        }),
      );
    const nextTen = () => clock.set((Math.floor(clock.now() / 10_000) + 1) * 10_000 + 1000);
    nextMinute(1);
    await putAlarm({ AlarmName: name, Namespace: ns, MetricName: 'Latency', Statistic: 'Maximum', Period: 10 });
    await put(20);
    nextTen();
    await evaluate();
    assert.equal((await describe1(name)).StateValue, 'ALARM');
    await put(2);
    nextTen();
    await evaluate();
    const alarm = await describe1(name);
    assert.equal(alarm.StateValue, 'OK', 'ten seconds later, within the same minute');
    assert.equal(JSON.parse(alarm.StateReasonData ?? '{}').period, 10);
  });

  test('TreatMissingData breaching and notBreaching decide without data', async () => {
    const ns = uniq('Missing');
    const breaching = uniq('missing-breaching');
    const notBreaching = uniq('missing-not-breaching');
    await putAlarm({ AlarmName: breaching, Namespace: ns, TreatMissingData: 'breaching', EvaluationPeriods: 2 });
    await putAlarm({ AlarmName: notBreaching, Namespace: ns, TreatMissingData: 'notBreaching', EvaluationPeriods: 2 });
    nextMinute();
    await evaluate();
    const b = await describe1(breaching);
    assert.equal(b.StateValue, 'ALARM');
    assert.equal(
      b.StateReason,
      'Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching].',
    );
    assert.equal((await describe1(notBreaching)).StateValue, 'OK');
  });

  test('SetAlarmState holds until the next evaluation, which puts the state back', async () => {
    const ns = uniq('SetState');
    const name = uniq('set-state');
    await putAlarm({ AlarmName: name, Namespace: ns, Dimensions: [{ Name: 'Shop', Value: 'eu' }] });
    await putValue(ns, 'Errors', 1);
    nextMinute();
    await evaluate();
    assert.equal((await describe1(name)).StateValue, 'OK');

    await cw.send(
      new SetAlarmStateCommand({
        AlarmName: name,
        StateValue: 'ALARM',
        StateReason: 'drill',
        StateReasonData: '{"drill":true}',
      }),
    );
    let alarm = await describe1(name);
    assert.equal(alarm.StateValue, 'ALARM');
    assert.equal(alarm.StateReason, 'drill');
    assert.equal(alarm.StateReasonData, '{"drill":true}');
    await evaluate(); // not due yet: the state stays
    assert.equal((await describe1(name)).StateValue, 'ALARM');

    await putValue(ns, 'Errors', 2);
    nextMinute();
    await evaluate();
    alarm = await describe1(name);
    assert.equal(alarm.StateValue, 'OK');
    const summaries = (await history(name, 'StateUpdate')).map((i) => i.HistorySummary);
    assert.deepEqual(summaries, [
      'Alarm updated from INSUFFICIENT_DATA to OK',
      'Alarm updated from OK to ALARM',
      'Alarm updated from ALARM to OK',
    ]);
  });

  test('DescribeAlarmHistory: item type, order, dates and pages', async () => {
    const name = uniq('history');
    await putAlarm({ AlarmName: name, TreatMissingData: 'ignore' });
    const t1 = clock.now();
    clock.advance(1000);
    await cw.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'ALARM', StateReason: 'one' }));
    clock.advance(1000);
    await cw.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'OK', StateReason: 'two' }));
    clock.advance(1000);
    await putAlarm({ AlarmName: name, TreatMissingData: 'ignore', Threshold: 11 });

    const all = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: name }));
    assert.deepEqual(
      all.AlarmHistoryItems?.map((i) => i.HistorySummary),
      [
        `Alarm "${name}" updated`,
        'Alarm updated from ALARM to OK',
        'Alarm updated from INSUFFICIENT_DATA to ALARM',
        `Alarm "${name}" created`,
      ],
      'newest first by default',
    );
    assert.equal(all.AlarmHistoryItems?.[3]?.Timestamp?.getTime(), t1);

    const states = await history(name, 'StateUpdate');
    assert.equal(states.length, 2);
    const windowed = await cw.send(
      new DescribeAlarmHistoryCommand({
        AlarmName: name,
        StartDate: new Date(t1 + 1000),
        EndDate: new Date(t1 + 2000),
        ScanBy: 'TimestampAscending',
      }),
    );
    assert.deepEqual(
      windowed.AlarmHistoryItems?.map((i) => i.HistorySummary),
      ['Alarm updated from INSUFFICIENT_DATA to ALARM', 'Alarm updated from ALARM to OK'],
    );

    const seen: (AlarmHistoryItem | undefined)[] = [];
    let token: string | undefined;
    do {
      const page = await cw.send(
        new DescribeAlarmHistoryCommand({
          AlarmName: name,
          MaxRecords: 1,
          NextToken: token,
          ScanBy: 'TimestampAscending',
        }),
      );
      assert.ok((page.AlarmHistoryItems?.length ?? 0) <= 1);
      seen.push(...(page.AlarmHistoryItems ?? []));
      token = page.NextToken;
    } while (token);
    assert.deepEqual(
      seen.map((i) => i?.HistorySummary),
      [...(all.AlarmHistoryItems ?? [])].reverse().map((i) => i.HistorySummary),
    );
  });

  test('DeleteAlarms removes alarms; their history stays', async () => {
    const a = uniq('delete-a');
    const b = uniq('delete-b');
    await putAlarm({ AlarmName: a });
    await putAlarm({ AlarmName: b });
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: [a, 'never-existed'] }));
    const left = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [a, b] }));
    assert.deepEqual(
      left.MetricAlarms?.map((x) => x.AlarmName),
      [b],
    );
    assert.deepEqual(
      (await history(a)).map((i) => i.HistorySummary),
      [`Alarm "${a}" created`, `Alarm "${a}" deleted`],
    );
    await rejectsWith(
      cw.send(new SetAlarmStateCommand({ AlarmName: a, StateValue: 'OK', StateReason: 'x' })),
      'ResourceNotFound',
    );
  });

  test('alarm tags: set on creation, listed, added, overwritten and removed; an update keeps them', async () => {
    const name = uniq('tagged');
    const arn = alarmArn(name);
    const tagsOf = async () => (await cw.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags;
    await putAlarm({ AlarmName: name, Tags: [{ Key: 'team', Value: 'shop' }] });
    assert.deepEqual(await tagsOf(), [{ Key: 'team', Value: 'shop' }]);

    await cw.send(
      new TagResourceCommand({
        ResourceARN: arn,
        Tags: [
          { Key: 'team', Value: 'checkout' },
          { Key: 'env', Value: 'prod' },
        ],
      }),
    );
    assert.deepEqual(await tagsOf(), [
      { Key: 'team', Value: 'checkout' },
      { Key: 'env', Value: 'prod' },
    ]);
    // PutMetricAlarm's Tags apply on creation only; the update changes no tag, and records no tag change.
    await putAlarm({ AlarmName: name, Threshold: 20, Tags: [{ Key: 'other', Value: 'x' }] });
    assert.deepEqual(await tagsOf(), [
      { Key: 'team', Value: 'checkout' },
      { Key: 'env', Value: 'prod' },
    ]);
    await cw.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['team', 'absent'] }));
    assert.deepEqual(await tagsOf(), [{ Key: 'env', Value: 'prod' }]);
    await cw.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['env'] }));
    assert.deepEqual(await tagsOf(), []);
    assert.equal((await history(name, 'ConfigurationUpdate')).length, 2);

    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await cw.send(new TagResourceCommand({ ResourceARN: arn, Tags: fifty }));
    await rejectsWith(
      cw.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: 'one-more', Value: 'v' }] })),
      'ValidationException',
    );
    assert.equal((await tagsOf())?.length, 50);
  });

  test('tag APIs: an unknown alarm is ResourceNotFoundException (404), a malformed ARN InvalidParameterValue', async () => {
    const gone = uniq('gone');
    for (const send of [
      () => cw.send(new ListTagsForResourceCommand({ ResourceARN: alarmArn(gone) })),
      () => cw.send(new TagResourceCommand({ ResourceARN: alarmArn(gone), Tags: [{ Key: 'a', Value: 'b' }] })),
      () => cw.send(new UntagResourceCommand({ ResourceARN: alarmArn(gone), TagKeys: ['a'] })),
    ]) {
      await rejectsWith(send(), 'ResourceNotFoundException', `Alarm ${gone} not found`, 404);
    }
    // Another account's alarm of the same name is not this caller's.
    const name = uniq('mine');
    await putAlarm({ AlarmName: name });
    await rejectsWith(
      cw.send(new ListTagsForResourceCommand({ ResourceARN: alarmArn(name).replace(ACCOUNT, '111111111111') })),
      'ResourceNotFoundException',
    );
    await rejectsWith(
      cw.send(new ListTagsForResourceCommand({ ResourceARN: 'arn:aws:sqs:us-east-1:000000000000:orders' })),
      'InvalidParameterValueException',
      undefined,
      400,
    );
  });

  test('a metric math alarm evaluates its expression', async () => {
    const ns = uniq('Math');
    const name = uniq('error-rate');
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        EvaluationPeriods: 1,
        Threshold: 10,
        ComparisonOperator: 'GreaterThanThreshold',
        Metrics: [
          { Id: 'rate', Expression: '100 * errors / requests', Label: 'Error rate', ReturnData: true },
          {
            Id: 'errors',
            MetricStat: { Metric: { Namespace: ns, MetricName: 'Errors' }, Period: 60, Stat: 'Sum' },
            ReturnData: false,
          },
          {
            Id: 'requests',
            MetricStat: { Metric: { Namespace: ns, MetricName: 'Requests' }, Period: 60, Stat: 'Sum' },
            ReturnData: false,
          },
        ],
      }),
    );
    const put = async (errors: number, requests: number) => {
      await cw.send(
        new PutMetricDataCommand({
          Namespace: ns,
          MetricData: [
            { MetricName: 'Errors', Value: errors },
            { MetricName: 'Requests', Value: requests },
          ],
        }),
      );
    };
    await put(1, 100);
    nextMinute();
    await evaluate();
    let alarm = await describe1(name);
    assert.equal(alarm.StateValue, 'OK');
    assert.equal(alarm.Metrics?.length, 3);
    assert.equal(alarm.MetricName, undefined);
    assert.equal(alarm.Period, undefined);
    assert.deepEqual(JSON.parse(alarm.StateReasonData ?? '{}').recentDatapoints, [1]);

    await put(30, 100);
    nextMinute();
    await evaluate();
    alarm = await describe1(name);
    assert.equal(alarm.StateValue, 'ALARM');
    assert.match(alarm.StateReason ?? '', /\[30\.0 \(/);
  });

  test('a full queue puts an AWS/SQS alarm in ALARM: the event reaches a queue through a rule, the actions run', async () => {
    const orders = uniq('orders');
    const ordersUrl = await createQueue(t.sqs, orders);
    const eventsName = uniq('alarm-events');
    const eventsUrl = await createQueue(t.sqs, eventsName);
    const notificationsName = uniq('alarm-notifications');
    const notificationsUrl = await createQueue(t.sqs, notificationsName);
    const name = uniq('orders-backlog');
    receiver.bodies.length = 0;

    const rule = uniq('alarm-rule');
    await events.send(
      new PutRuleCommand({
        Name: rule,
        EventPattern: JSON.stringify({
          source: ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          detail: { alarmName: [name], state: { value: ['ALARM'] } },
        }),
      }),
    );
    await events.send(new PutTargetsCommand({ Rule: rule, Targets: [{ Id: 'q', Arn: queueArn(eventsName) }] }));

    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        AlarmDescription: 'Orders are piling up',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: orders }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [queueArn(notificationsName), hookUrl],
      }),
    );
    await t.server.sqsCloudWatch.sample();
    nextMinute();
    await evaluate();
    assert.equal((await describe1(name)).StateValue, 'OK', 'an empty queue is within the threshold');

    for (const batch of [0, 1]) {
      await t.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: ordersUrl,
          Entries: Array.from({ length: 4 }, (_, i) => ({ Id: `m${i}`, MessageBody: `order ${batch}-${i}` })),
        }),
      );
    }
    await t.server.sqsCloudWatch.sample();
    nextMinute();
    const changedAt = clock.now();
    await evaluate();
    const alarm = await describe1(name);
    assert.equal(alarm.StateValue, 'ALARM');
    assert.match(
      alarm.StateReason ?? '',
      /^Threshold Crossed: 1 datapoint \[8\.0 \(.*\)\] was greater than or equal to the threshold \(5\.0\)\.$/,
    );

    const event = JSON.parse((await receive(t, eventsUrl)).Body ?? '{}');
    assert.equal(event.source, 'aws.cloudwatch');
    assert.equal(event['detail-type'], 'CloudWatch Alarm State Change');
    assert.equal(event.account, ACCOUNT);
    assert.equal(event.region, REGION);
    assert.deepEqual(event.resources, [alarmArn(name)]);
    assert.equal(event.time, new Date(changedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    assert.equal(event.detail.alarmName, name);
    assert.equal(event.detail.state.value, 'ALARM');
    assert.equal(event.detail.state.reason, alarm.StateReason);
    assert.equal(event.detail.state.timestamp, new Date(changedAt).toISOString().replace('Z', '+0000'));
    assert.equal(JSON.parse(event.detail.state.reasonData).threshold, 5);
    assert.equal(event.detail.previousState.value, 'OK');
    assert.equal(event.detail.configuration.description, 'Orders are piling up');
    assert.deepEqual(event.detail.configuration.metrics[0].metricStat, {
      metric: { dimensions: { QueueName: orders }, name: 'ApproximateNumberOfMessagesVisible', namespace: 'AWS/SQS' },
      period: 60,
      stat: 'Maximum',
    });
    assert.equal(event.detail.configuration.metrics[0].returnData, true);

    const notification = JSON.parse((await receive(t, notificationsUrl)).Body ?? '{}');
    assert.equal(notification.AlarmName, name);
    assert.equal(notification.AlarmDescription, 'Orders are piling up');
    assert.equal(notification.AWSAccountId, ACCOUNT);
    assert.equal(notification.NewStateValue, 'ALARM');
    assert.equal(notification.OldStateValue, 'OK');
    assert.equal(notification.NewStateReason, alarm.StateReason);
    assert.equal(notification.AlarmArn, alarmArn(name));
    assert.equal(notification.Region, 'US East (N. Virginia)');
    assert.equal(notification.StateChangeTime, new Date(changedAt).toISOString().replace('Z', '+0000'));
    assert.equal(notification.Trigger.MetricName, 'ApproximateNumberOfMessagesVisible');
    assert.equal(notification.Trigger.Namespace, 'AWS/SQS');
    assert.equal(notification.Trigger.Statistic, 'MAXIMUM');
    assert.deepEqual(notification.Trigger.Dimensions, [{ value: orders, name: 'QueueName' }]);
    assert.equal(notification.Trigger.Threshold, 5);

    const posted = JSON.parse(await waitFor('the POST of the HTTP action', () => receiver.bodies[0]));
    assert.equal(posted.AlarmName, name);
    assert.equal(posted.NewStateValue, 'ALARM');

    const actions = await waitFor('both Action history items', async () => {
      const items = await history(name, 'Action');
      return items.length >= 2 ? items : undefined;
    });
    assert.deepEqual(actions.map((i) => i.HistorySummary).sort(), [
      `Successfully executed action ${queueArn(notificationsName)}`,
      `Successfully executed action ${hookUrl}`,
    ]);
    const data = JSON.parse(actions.find((i) => i.HistorySummary?.includes('sqs'))?.HistoryData ?? '{}');
    assert.equal(data.actionState, 'Succeeded');
    assert.equal(data.notificationResource, queueArn(notificationsName));
  });

  test('disabled actions are not taken; a failing HTTP action is recorded as failed', async () => {
    const ns = uniq('Actions');
    const name = uniq('actions');
    const notificationsName = uniq('actions-notifications');
    const notificationsUrl = await createQueue(t.sqs, notificationsName);
    const failing = new Receiver();
    failing.status = 500;
    const failingUrl = await failing.start();
    try {
      await putAlarm({
        AlarmName: name,
        Namespace: ns,
        Dimensions: [{ Name: 'Shop', Value: 'eu' }],
        AlarmActions: [queueArn(notificationsName), failingUrl, queueArn(uniq('missing-queue'))],
        OKActions: [queueArn(notificationsName)],
      });
      await cw.send(new DisableAlarmActionsCommand({ AlarmNames: [name] }));
      assert.equal((await describe1(name)).ActionsEnabled, false);
      await cw.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'OK', StateReason: 'quiet' }));
      const none = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: notificationsUrl, WaitTimeSeconds: 0 }));
      assert.equal(none.Messages, undefined, 'no notification while actions are disabled');
      assert.deepEqual(await history(name, 'Action'), []);

      await cw.send(new EnableAlarmActionsCommand({ AlarmNames: [name] }));
      assert.equal((await describe1(name)).ActionsEnabled, true);
      await cw.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'ALARM', StateReason: 'loud' }));
      const message = await receive(t, notificationsUrl);
      assert.equal(JSON.parse(message.Body ?? '{}').NewStateValue, 'ALARM');

      await waitFor('the first POST', () => failing.bodies[0]);
      // Past the HTTP action's retries: the delivery gives up at its next attempt.
      clock.advance(2 * 3_600_000);
      await t.server.deliveries.pass();
      const items = await waitFor('three Action items', async () => {
        const found = await history(name, 'Action');
        return found.length >= 3 ? found : undefined;
      });
      const summaries = items.map((i) => i.HistorySummary).sort();
      assert.ok(summaries.includes(`Failed to execute action ${failingUrl}`), summaries.join('; '));
      assert.ok(summaries.includes(`Successfully executed action ${queueArn(notificationsName)}`));
      assert.ok(summaries.some((s) => s?.startsWith('Failed to execute action arn:aws:sqs:')));
      const failed = JSON.parse(items.find((i) => i.HistorySummary?.includes(failingUrl))?.HistoryData ?? '{}');
      assert.equal(failed.actionState, 'Failed');
      assert.match(failed.error, /500/);
      const configUpdates = (await history(name, 'ConfigurationUpdate')).map((i) => i.HistorySummary);
      assert.deepEqual(configUpdates, [
        `Alarm "${name}" created`,
        `Alarm "${name}" updated`,
        `Alarm "${name}" updated`,
      ]);
    } finally {
      await failing.stop();
    }
  });
});
