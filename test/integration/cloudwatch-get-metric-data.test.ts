// GetMetricData through @aws-sdk/client-cloudwatch: metric stat queries, math expressions over them, ReturnData,
// labels, ScanBy, paging with MaxDatapoints/NextToken, and CloudWatch's errors for bad queries.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { ManualClock } from '../../src/core/clock.js';
import { cloudWatchClient, startTestServer, type TestServer } from '../helpers/server.js';
import { rejectsWith } from '../helpers/sqs.js';

const T0 = Date.UTC(2026, 10, 26, 8, 0, 0);
const clock = new ManualClock(T0 + 30 * 60_000);
const at = (minute: number, second = 0) => new Date(T0 + minute * 60_000 + second * 1000);
const seconds = (d: Date | undefined) => (d ? (d.getTime() - T0) / 60_000 : Number.NaN);

const stat = (id: string, name: string, Stat = 'Sum', Period = 60, extra: Partial<MetricDataQuery> = {}) => ({
  Id: id,
  MetricStat: {
    Metric: { Namespace: 'Shop/Sync', MetricName: name, Dimensions: [{ Name: 'Marketplace', Value: 'eu' }] },
    Period,
    Stat,
  },
  ...extra,
});

describe('CloudWatch GetMetricData', () => {
  let t: TestServer;
  let cw: CloudWatchClient;

  before(async () => {
    t = await startTestServer({ clock });
    cw = cloudWatchClient(t.server.url);
    const dims = [{ Name: 'Marketplace', Value: 'eu' }];
    // Calls per minute 0..4: 10, 20, -, 40, 50; of which changed nothing: 1, 5, -, 10, 25.
    const calls = [10, 20, undefined, 40, 50];
    const wasted = [1, 5, undefined, 10, 25];
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'Shop/Sync',
        MetricData: calls.flatMap((value, minute) =>
          value === undefined
            ? []
            : [
                { MetricName: 'Calls', Dimensions: dims, Timestamp: at(minute, 10), Value: value, Unit: 'Count' },
                {
                  MetricName: 'Superfluous',
                  Dimensions: dims,
                  Timestamp: at(minute, 20),
                  Value: wasted[minute] as number,
                  Unit: 'Count',
                },
              ],
        ),
      }),
    );
  });
  after(async () => {
    cw.destroy();
    await t.stop();
  });

  test('metric queries return their statistic per period, newest first by default', async () => {
    const out = await cw.send(
      new GetMetricDataCommand({
        StartTime: at(0),
        EndTime: at(5),
        MetricDataQueries: [stat('calls', 'Calls'), stat('peak', 'Calls', 'Maximum', 120, { Label: 'Peak' })],
      }),
    );
    const [calls, peak] = out.MetricDataResults ?? [];
    assert.equal(calls?.Id, 'calls');
    assert.equal(calls?.Label, 'Calls');
    assert.equal(calls?.StatusCode, 'Complete');
    assert.deepEqual(calls?.Timestamps?.map(seconds), [4, 3, 1, 0]);
    assert.deepEqual(calls?.Values, [50, 40, 20, 10]);
    assert.equal(peak?.Label, 'Peak');
    assert.deepEqual(peak?.Timestamps?.map(seconds), [4, 2, 0]);
    assert.deepEqual(peak?.Values, [50, 40, 20]);
    assert.equal(out.NextToken, undefined);
  });

  test('expressions combine the queries; ReturnData false hides the inputs', async () => {
    const out = await cw.send(
      new GetMetricDataCommand({
        StartTime: at(0),
        EndTime: at(5),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          stat('calls', 'Calls', 'Sum', 60, { ReturnData: false }),
          stat('wasted', 'Superfluous', 'Sum', 60, { ReturnData: false }),
          { Id: 'share', Expression: '100 * wasted / calls', Label: 'Superfluous %' },
          { Id: 'total', Expression: 'SUM(METRICS())' },
          { Id: 'filled', Expression: 'FILL(calls, 0)' },
        ],
      }),
    );
    const byId = new Map((out.MetricDataResults ?? []).map((r) => [r.Id, r]));
    assert.deepEqual([...byId.keys()], ['share', 'total', 'filled']);
    assert.equal(byId.get('share')?.Label, 'Superfluous %');
    assert.deepEqual(byId.get('share')?.Timestamps?.map(seconds), [0, 1, 3, 4]);
    assert.deepEqual(byId.get('share')?.Values, [10, 25, 25, 50]);
    assert.deepEqual(byId.get('total')?.Values, [11, 25, 50, 75]);
    assert.deepEqual(byId.get('filled')?.Timestamps?.map(seconds), [0, 1, 2, 3, 4]);
    assert.deepEqual(byId.get('filled')?.Values, [10, 20, 0, 40, 50]);
  });

  test('MaxDatapoints pages the points and NextToken resumes where the page ended', async () => {
    const input = {
      StartTime: at(0),
      EndTime: at(5),
      MaxDatapoints: 3,
      ScanBy: 'TimestampAscending' as const,
      MetricDataQueries: [stat('calls', 'Calls'), stat('wasted', 'Superfluous')],
    };
    const first = await cw.send(new GetMetricDataCommand(input));
    assert.equal(first.MetricDataResults?.[0]?.StatusCode, 'PartialData');
    assert.deepEqual(first.MetricDataResults?.[0]?.Values, [10, 20, 40]);
    assert.ok(first.NextToken);
    const second = await cw.send(new GetMetricDataCommand({ ...input, NextToken: first.NextToken }));
    const points = (second.MetricDataResults ?? []).map((r) => [r.Id, r.Values]);
    assert.deepEqual(points, [
      ['calls', [50]],
      ['wasted', [1, 5]],
    ]);
    assert.ok(second.NextToken);
    const third = await cw.send(new GetMetricDataCommand({ ...input, NextToken: second.NextToken }));
    assert.deepEqual(
      (third.MetricDataResults ?? []).map((r) => [r.Id, r.Values, r.StatusCode]),
      [['wasted', [10, 25], 'Complete']],
    );
    assert.equal(third.NextToken, undefined);
    await rejectsWith(
      cw.send(new GetMetricDataCommand({ ...input, MaxDatapoints: 4, NextToken: first.NextToken.slice(0, -2) })),
      'InvalidNextToken',
    );
  });

  test('bad queries get CloudWatch error codes and messages', async () => {
    const base = { StartTime: at(0), EndTime: at(5) };
    await rejectsWith(
      cw.send(
        new GetMetricDataCommand({ ...base, MetricDataQueries: [stat('m1', 'Calls'), stat('m1', 'Superfluous')] }),
      ),
      // An error the model does not name: the SDK names it by its shape and keeps the Query code in Code.
      'ValidationException',
      (e) => {
        assert.equal((e as unknown as { Code?: string }).Code, 'ValidationError');
        assert.match(e.message, /Duplicate Id m1/);
      },
    );
    await rejectsWith(
      cw.send(
        new GetMetricDataCommand({
          ...base,
          MetricDataQueries: [stat('m1', 'Calls'), { Id: 'e1', Expression: 'm2 * 2' }],
        }),
      ),
      'ValidationException',
      /Error in expression e1 \[Unrecognized identifier m2\]/,
    );
    await rejectsWith(
      cw.send(new GetMetricDataCommand({ ...base, MetricDataQueries: [{ Id: 'Bad', Expression: '1' }] })),
      'ValidationException',
      /Invalid Id Bad/,
    );
    await rejectsWith(
      cw.send(new GetMetricDataCommand({ ...base, MetricDataQueries: [stat('m1', 'Calls', 'Sum', 45)] })),
      'InvalidParameterValueException',
      /MetricDataQueries\.member\.1\.MetricStat\.Period/,
    );
    await rejectsWith(
      cw.send(new GetMetricDataCommand({ ...base, MetricDataQueries: [stat('m1', 'Calls', 'Median')] })),
      'InvalidParameterValueException',
      /Median/,
    );
    await rejectsWith(
      cw.send(new GetMetricDataCommand({ StartTime: at(5), EndTime: at(0), MetricDataQueries: [stat('m1', 'Calls')] })),
      'InvalidParameterValueException',
      /StartTime must be less than/,
    );
    await rejectsWith(
      cw.send(new GetMetricDataCommand({ ...base, MetricDataQueries: [{ Id: 'm1' }] })),
      'ValidationException',
      /Exactly one of MetricStat and Expression/,
    );
  });
});
