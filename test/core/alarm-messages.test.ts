// What CloudWatch writes about a metric alarm: action classification (PutMetricAlarm's ValidationError texts), the
// `CloudWatch Alarm State Change` event detail and the alarm notification, as the CloudWatch user guide's examples
// show them, and the HistorySummary / HistoryData of alarm history items.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AlarmActionError,
  type AlarmStateSnapshot,
  actionHistory,
  alarmArn,
  alarmMetricId,
  alarmNotification,
  alarmStateChangeDetail,
  classifyAlarmAction,
  configurationHistory,
  type MetricAlarmConfig,
  regionName,
  stateUpdateHistory,
} from '../../src/core/alarm-messages.js';
import { nextEvaluationTime } from '../../src/core/alarms.js';

const ctx = { accountId: '123456789012', region: 'us-east-1' };
const ARN = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh';

const single: MetricAlarmConfig = {
  AlarmDescription: 'Goes into alarm when server CPU utilization is too high!',
  OKActions: [],
  AlarmActions: ['arn:aws:sns:us-east-1:123456789012:ops'],
  InsufficientDataActions: [],
  Namespace: 'AWS/EC2',
  MetricName: 'CPUUtilization',
  Statistic: 'Average',
  Dimensions: [{ Name: 'InstanceId', Value: 'i-12345678901234567' }],
  Period: 300,
  EvaluationPeriods: 1,
  Threshold: 50,
  ComparisonOperator: 'GreaterThanThreshold',
};

const previous: AlarmStateSnapshot = {
  value: 'OK',
  reason:
    'Threshold Crossed: 1 out of the last 1 datapoints [0.06 (01/10/19 13:46:00)] was not greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK transition).',
  reasonData: '{"version":"1.0","threshold":50.0}',
  timestamp: Date.UTC(2019, 9, 1, 13, 56, 40, 987),
};
const current: AlarmStateSnapshot = {
  value: 'ALARM',
  reason:
    'Threshold Crossed: 1 out of the last 1 datapoints [99.5 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).',
  reasonData: '{"version":"1.0","threshold":50.0,"recentDatapoints":[99.5]}',
  timestamp: Date.UTC(2019, 9, 2, 17, 4, 40, 989),
};

describe('alarm actions', () => {
  test('SQS queue ARNs of the account and region, HTTP URLs, and AWS action ARNs this server cannot take', () => {
    assert.deepEqual(classifyAlarmAction('arn:aws:sqs:us-east-1:123456789012:alerts', ctx), {
      kind: 'sqs',
      accountId: '123456789012',
      region: 'us-east-1',
      name: 'alerts',
    });
    assert.deepEqual(classifyAlarmAction('arn:aws:sqs:us-east-1:123456789012:alerts.fifo', ctx).kind, 'sqs');
    assert.deepEqual(classifyAlarmAction('https://hooks.example.com/alarm?x=1', ctx), {
      kind: 'http',
      url: 'https://hooks.example.com/alarm?x=1',
    });
    for (const action of [
      'arn:aws:sns:us-east-1:123456789012:ops',
      'arn:aws:automate:us-east-1:ec2:stop',
      'arn:aws:lambda:us-east-1:123456789012:function:page',
    ]) {
      assert.deepEqual(classifyAlarmAction(action, ctx), { kind: 'unsupported' }, action);
    }
  });

  test('refused with CloudWatch ValidationError texts', () => {
    const refused = (action: string, message: string | RegExp) =>
      assert.throws(
        () => classifyAlarmAction(action, ctx),
        (e: unknown) => {
          assert.ok(e instanceof AlarmActionError);
          if (typeof message === 'string') assert.equal(e.message, message);
          else assert.match(e.message, message);
          return true;
        },
      );
    refused('page-someone', 'Invalid arn syntax: page-someone');
    refused(
      'arn:aws:sns:eu-west-1:123456789012:ops',
      'Invalid region eu-west-1 specified. Only us-east-1 is supported.',
    );
    refused('arn:aws:s3:us-east-1:123456789012:bucket', /^Invalid action/);
    refused('arn:aws:sqs:us-east-1:999999999999:alerts', /^Invalid SQS queue ARN/);
    refused('arn:aws:sqs:us-east-1:123456789012:bad name', /^Invalid SQS queue ARN/);
    refused('http://[not a host', /^Invalid URL/);
  });
});

describe('the CloudWatch Alarm State Change event', () => {
  test('detail of a single-metric alarm, as the user guide shows it', () => {
    const detail = alarmStateChangeDetail({ name: 'ServerCpuTooHigh', arn: ARN, config: single }, previous, current);
    assert.deepEqual(detail, {
      alarmName: 'ServerCpuTooHigh',
      configuration: {
        description: 'Goes into alarm when server CPU utilization is too high!',
        metrics: [
          {
            id: alarmMetricId(ARN),
            metricStat: {
              metric: {
                dimensions: { InstanceId: 'i-12345678901234567' },
                name: 'CPUUtilization',
                namespace: 'AWS/EC2',
              },
              period: 300,
              stat: 'Average',
            },
            returnData: true,
          },
        ],
      },
      previousState: {
        reason: previous.reason,
        reasonData: previous.reasonData,
        timestamp: '2019-10-01T13:56:40.987+0000',
        value: 'OK',
      },
      state: {
        reason: current.reason,
        reasonData: current.reasonData,
        timestamp: '2019-10-02T17:04:40.989+0000',
        value: 'ALARM',
      },
    });
    assert.deepEqual(Object.keys(detail), ['alarmName', 'configuration', 'previousState', 'state']);
  });

  test('the metric id is shaped like a UUID and stable per alarm', () => {
    const id = alarmMetricId(ARN);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(alarmMetricId(ARN), id);
    assert.notEqual(alarmMetricId(`${ARN}2`), id);
  });

  test('metric math alarms list their queries; no description, no reasonData when there is none', () => {
    const math: MetricAlarmConfig = {
      ...single,
      AlarmDescription: undefined,
      Namespace: undefined,
      MetricName: undefined,
      Statistic: undefined,
      Dimensions: [],
      Period: undefined,
      Metrics: [
        { Id: 'e1', Expression: 'm1 + m2', Label: 'Expression1', ReturnData: true },
        {
          Id: 'm1',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/EC2',
              MetricName: 'CPUUtilization',
              Dimensions: [{ Name: 'InstanceId', Value: 'i-1' }],
            },
            Period: 300,
            Stat: 'Maximum',
          },
          ReturnData: false,
        },
      ],
    };
    const detail = alarmStateChangeDetail(
      { name: 'math', arn: ARN, config: math },
      { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', timestamp: 0 },
      current,
    );
    assert.deepEqual(detail.configuration, {
      metrics: [
        { expression: 'm1 + m2', id: 'e1', label: 'Expression1', returnData: true },
        {
          id: 'm1',
          metricStat: {
            metric: { dimensions: { InstanceId: 'i-1' }, name: 'CPUUtilization', namespace: 'AWS/EC2' },
            period: 300,
            stat: 'Maximum',
          },
          returnData: false,
        },
      ],
    });
    assert.deepEqual(detail.previousState, {
      reason: 'Unchecked: Initial alarm creation',
      timestamp: '1970-01-01T00:00:00.000+0000',
      value: 'INSUFFICIENT_DATA',
    });
  });
});

describe('the alarm notification', () => {
  const alarm = {
    ...ctx,
    name: 'ServerCpuTooHigh',
    config: { ...single, Unit: 'Percent', TreatMissingData: 'notBreaching', DatapointsToAlarm: 1 },
    configUpdatedAt: Date.UTC(2019, 9, 1, 10, 0, 0, 5),
  };

  test('has the members of the message CloudWatch publishes to SNS', () => {
    const n = alarmNotification(alarm, previous, current);
    assert.deepEqual(n, {
      AlarmName: 'ServerCpuTooHigh',
      AlarmDescription: 'Goes into alarm when server CPU utilization is too high!',
      AWSAccountId: '123456789012',
      AlarmConfigurationUpdatedTimestamp: '2019-10-01T10:00:00.005+0000',
      NewStateValue: 'ALARM',
      NewStateReason: current.reason,
      StateChangeTime: '2019-10-02T17:04:40.989+0000',
      Region: 'US East (N. Virginia)',
      AlarmArn: ARN,
      OldStateValue: 'OK',
      OKActions: [],
      AlarmActions: ['arn:aws:sns:us-east-1:123456789012:ops'],
      InsufficientDataActions: [],
      Trigger: {
        MetricName: 'CPUUtilization',
        Namespace: 'AWS/EC2',
        StatisticType: 'Statistic',
        Statistic: 'AVERAGE',
        Unit: 'Percent',
        Dimensions: [{ value: 'i-12345678901234567', name: 'InstanceId' }],
        Period: 300,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 50,
        TreatMissingData: 'notBreaching',
        EvaluateLowSampleCountPercentile: '',
      },
    });
  });

  test('extended statistics, a missing description and unit, and metric math triggers', () => {
    const percentile = alarmNotification(
      {
        ...alarm,
        config: { ...single, AlarmDescription: undefined, Statistic: undefined, ExtendedStatistic: 'p99' },
      },
      previous,
      current,
    );
    assert.equal(percentile.AlarmDescription, null);
    const trigger = percentile.Trigger as Record<string, unknown>;
    assert.equal(trigger.StatisticType, 'ExtendedStatistic');
    assert.equal(trigger.ExtendedStatistic, 'p99');
    assert.equal(trigger.Statistic, undefined);
    assert.equal(trigger.Unit, null);
    assert.equal(trigger.TreatMissingData, 'missing');

    const math = alarmNotification(
      {
        ...alarm,
        config: {
          ...single,
          Namespace: undefined,
          MetricName: undefined,
          Statistic: undefined,
          Period: undefined,
          Dimensions: [],
          Metrics: [
            { Id: 'e1', Expression: 'm1*1', Label: 'Expression1', ReturnData: true },
            {
              Id: 'm1',
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/EC2',
                  MetricName: 'NetworkOut',
                  Dimensions: [{ Name: 'InstanceId', Value: 'i-1' }],
                },
                Period: 60,
                Stat: 'Average',
              },
              ReturnData: false,
            },
          ],
        },
      },
      previous,
      current,
    );
    assert.deepEqual((math.Trigger as Record<string, unknown>).Metrics, [
      { Expression: 'm1*1', Id: 'e1', Label: 'Expression1', ReturnData: true },
      {
        Id: 'm1',
        MetricStat: {
          Metric: {
            Dimensions: [{ value: 'i-1', name: 'InstanceId' }],
            MetricName: 'NetworkOut',
            Namespace: 'AWS/EC2',
          },
          Period: 60,
          Stat: 'Average',
        },
        ReturnData: false,
      },
    ]);
    assert.equal((math.Trigger as Record<string, unknown>).MetricName, undefined);
  });

  test('region names, the code for one not in the list', () => {
    assert.equal(regionName('eu-west-1'), 'EU (Ireland)');
    assert.equal(regionName('xx-nowhere-9'), 'xx-nowhere-9');
  });
});

describe('alarm history', () => {
  test('a state update keeps the reason data as AWS wrote it', () => {
    const item = stateUpdateHistory(previous, current);
    assert.equal(item.summary, 'Alarm updated from OK to ALARM');
    assert.equal(
      item.data,
      `{"version":"1.0","oldState":{"stateValue":"OK","stateReason":${JSON.stringify(previous.reason)},"stateReasonData":{"version":"1.0","threshold":50.0}},` +
        `"newState":{"stateValue":"ALARM","stateReason":${JSON.stringify(current.reason)},"stateReasonData":{"version":"1.0","threshold":50.0,"recentDatapoints":[99.5]}}}`,
    );
    assert.deepEqual(JSON.parse(item.data).newState.stateReasonData.recentDatapoints, [99.5]);
  });

  test('reason data that is not a JSON object is left out', () => {
    const item = stateUpdateHistory({ ...previous, reasonData: '"text"' }, { ...current, reasonData: undefined });
    const data = JSON.parse(item.data);
    assert.equal(data.oldState.stateReasonData, undefined);
    assert.equal(data.newState.stateReasonData, undefined);
  });

  test('configuration updates: created, updated with the fields that changed, deleted', () => {
    const view = { AlarmName: 'cpu', Threshold: 50, OKActions: [], AlarmDescription: undefined };
    const created = configurationHistory('Create', view);
    assert.equal(created.summary, 'Alarm "cpu" created');
    assert.deepEqual(JSON.parse(created.data), {
      type: 'Create',
      version: '1.0',
      createdAlarm: { alarmName: 'cpu', threshold: 50, oKActions: [] },
    });
    const updated = configurationHistory('Update', { ...view, Threshold: 60 }, view);
    assert.equal(updated.summary, 'Alarm "cpu" updated');
    assert.deepEqual(JSON.parse(updated.data), {
      type: 'Update',
      version: '1.0',
      originalUpdatedFields: { threshold: 50 },
      updatedAlarm: { alarmName: 'cpu', threshold: 60, oKActions: [] },
    });
    const deleted = configurationHistory('Delete', view);
    assert.equal(deleted.summary, 'Alarm "cpu" deleted');
    assert.equal(JSON.parse(deleted.data).deletedAlarm.alarmName, 'cpu');
  });

  test('actions taken and failed', () => {
    const ok = actionHistory('arn:aws:sqs:us-east-1:123456789012:q', 1000, { messageId: 'm-1' });
    assert.equal(ok.summary, 'Successfully executed action arn:aws:sqs:us-east-1:123456789012:q');
    assert.deepEqual(JSON.parse(ok.data), {
      actionState: 'Succeeded',
      stateUpdateTimestamp: 1000,
      notificationResource: 'arn:aws:sqs:us-east-1:123456789012:q',
      publishedMessage: { messageId: 'm-1' },
    });
    const failed = actionHistory('https://example.com/x', 2000, { error: 'The target answered HTTP 500.' });
    assert.equal(failed.summary, 'Failed to execute action https://example.com/x');
    assert.deepEqual(JSON.parse(failed.data), {
      actionState: 'Failed',
      stateUpdateTimestamp: 2000,
      notificationResource: 'https://example.com/x',
      error: 'The target answered HTTP 500.',
    });
  });

  test('the alarm ARN', () => {
    assert.equal(alarmArn({ ...ctx, name: 'ServerCpuTooHigh' }), ARN);
  });
});

describe('evaluation schedule', () => {
  const at = (h: number, m: number, s: number, ms = 0) => Date.UTC(2026, 10, 25, h, m, s, ms);
  test('every minute, on the minute, always after now', () => {
    assert.equal(nextEvaluationTime(60, at(12, 0, 30)), at(12, 1, 0));
    assert.equal(nextEvaluationTime(300, at(12, 0, 30)), at(12, 1, 0));
    assert.equal(nextEvaluationTime(3600, at(12, 1, 0)), at(12, 2, 0));
    assert.equal(nextEvaluationTime(60, at(12, 0, 59, 999)), at(12, 1, 0));
  });
  test('high-resolution periods: every period', () => {
    assert.equal(nextEvaluationTime(10, at(12, 0, 31)), at(12, 0, 40));
    assert.equal(nextEvaluationTime(20, at(12, 0, 40)), at(12, 1, 0));
    assert.equal(nextEvaluationTime(30, at(12, 0, 29, 500)), at(12, 0, 30));
  });
});
