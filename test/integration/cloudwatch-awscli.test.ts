// CloudWatch over the AWS Query protocol (form-encoded requests, XML answers): end to end with Debian's AWS CLI
// 2.9 (/usr/bin/aws, whose bundled CloudWatch model says "protocol": "query"), and raw requests that pin the XML
// envelopes and the dispatch between SQS's and CloudWatch's Query APIs.
// CI installs the CLI: without it these tests fail rather than skip, so a missing CLI cannot pass unseen.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { CLOUDWATCH_ACTIONS } from '../../src/protocol/cloudwatch-actions.js';
import { CLOUDWATCH_QUERY_ACTIONS, isCloudWatchQuery } from '../../src/protocol/cloudwatch-query.js';
import { AWS_CLI, awsCliJson, type CliResult, runAwsCli } from '../helpers/aws-cli.js';
import { testServerForFile } from '../helpers/server.js';

const NS = 'http://monitoring.amazonaws.com/doc/2010-08-01/';
const SQS_NS = 'http://queue.amazonaws.com/doc/2012-11-05/';

// Whole minutes, so that periods line up with the data put below; "now" is ten minutes later.
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const clock = new ManualClock(T0 + 10 * 60_000);
/** ISO 8601 as the wire carries it, `minute` minutes and `second` seconds after T0. */
const at = (minute: number, second = 0) => new Date(T0 + minute * 60_000 + second * 1000).toISOString();

/** `--start-time` and `--end-time`, in minutes after T0. */
const minutes = (from: number, to: number) => `--start-time ${at(from)} --end-time ${at(to)}`;

const t = testServerForFile({ clock });

/** Command-line words: `'list-metrics --namespace X'` is ['list-metrics', '--namespace', 'X']. */
const words = (line: string) => line.split(' ').filter((word) => word !== '');
/** `aws cloudwatch <line> <more…>`; `more` carries the arguments that hold spaces (JSON, say). */
const cw = (line: string, ...more: string[]) => runAwsCli(t.server.url, ['cloudwatch', ...words(line), ...more]);
const cwJson = (line: string, ...more: string[]) => awsCliJson(t.server.url, ['cloudwatch', ...words(line), ...more]);

/** The AWS error the CLI reported (exit code 254 or 255, nothing on stdout): its code, operation and message. */
function cliError(r: CliResult): { code: string; operation: string; message: string } {
  assert.ok(r.code === 254 || r.code === 255, `exit code ${r.code}: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const m = /An error occurred \(([^)]+)\) when calling the (\w+) operation: (.*)/.exec(r.stderr);
  assert.ok(m, `stderr: ${r.stderr}`);
  return { code: m[1] as string, operation: m[2] as string, message: (m[3] as string).trim() };
}

interface Datapoint {
  Timestamp: string;
  SampleCount?: number;
  Average?: number;
  Sum?: number;
  Minimum?: number;
  Maximum?: number;
  Unit?: string;
  ExtendedStatistics?: Record<string, number>;
}

/** `get-metric-statistics <line>` for `metric` (`Namespace/Name`); the datapoints in time order, at epoch ms. */
async function statistics(metric: string, line: string): Promise<(Omit<Datapoint, 'Timestamp'> & { at: number })[]> {
  const slash = metric.lastIndexOf('/');
  const name = metric.slice(slash + 1);
  const out = await cwJson(`get-metric-statistics --namespace ${metric.slice(0, slash)} --metric-name ${name} ${line}`);
  assert.equal(out.Label, name);
  return (out.Datapoints as Datapoint[])
    .map(({ Timestamp, ...rest }) => ({ at: Date.parse(Timestamp), ...rest }))
    .sort((a, b) => a.at - b.at);
}

// ---- raw HTTP ------------------------------------------------------------------------------------

interface XmlResponse {
  status: number;
  requestId: string;
  contentType: string;
  xml: string;
}

async function query(form: Record<string, string>, headers: Record<string, string> = {}): Promise<XmlResponse> {
  const res = await fetch(`${t.server.url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return {
    status: res.status,
    requestId: res.headers.get('x-amzn-requestid') ?? '',
    contentType: res.headers.get('content-type') ?? '',
    xml: await res.text(),
  };
}

/** An unsigned CloudWatch Query request: `Version=2010-08-01` names the service. */
const cloudWatch = (action: string, form: Record<string, string> = {}) =>
  query({ Action: action, Version: '2010-08-01', ...form });

/** The whole answer AWS gives: the result (none for actions without output) and the request id. */
function envelope(action: string, requestId: string, result?: string): string {
  return (
    `<?xml version="1.0"?><${action}Response xmlns="${NS}">` +
    (result === undefined ? '' : `<${action}Result>${result}</${action}Result>`) +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

function errorEnvelope(code: string, message: string, requestId: string): string {
  return (
    `<?xml version="1.0"?><ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code>` +
    `<Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

describe('CloudWatch Query protocol over raw HTTP', () => {
  test('the adapter decodes every action of CLOUDWATCH_ACTIONS', () => {
    for (const action of Object.keys(CLOUDWATCH_ACTIONS)) {
      assert.ok(CLOUDWATCH_QUERY_ACTIONS.includes(action), `${action} has no Query decoding`);
    }
  });

  test('PutMetricData, GetMetricStatistics and ListMetrics: the exact XML, escaped', async () => {
    const put = await cloudWatch('PutMetricData', {
      Namespace: 'Raw/Xml',
      'MetricData.member.1.MetricName': 'Latency',
      'MetricData.member.1.Dimensions.member.1.Name': 'Shop',
      'MetricData.member.1.Dimensions.member.1.Value': 'a&b<c>',
      'MetricData.member.1.Timestamp': at(0, 5),
      'MetricData.member.1.Value': '1.5',
      'MetricData.member.1.Unit': 'Milliseconds',
      'MetricData.member.2.MetricName': 'Latency',
      'MetricData.member.2.Dimensions.member.1.Name': 'Shop',
      'MetricData.member.2.Dimensions.member.1.Value': 'a&b<c>',
      'MetricData.member.2.Timestamp': '2026-11-25T12:00:30.250Z',
      'MetricData.member.2.Value': '2.5e0',
      'MetricData.member.2.Unit': 'Milliseconds',
    });
    assert.equal(put.status, 200, put.xml);
    assert.match(put.contentType, /^text\/xml/);
    assert.equal(put.xml, envelope('PutMetricData', put.requestId));

    const stats = await cloudWatch('GetMetricStatistics', {
      Namespace: 'Raw/Xml',
      MetricName: 'Latency',
      'Dimensions.member.1.Name': 'Shop',
      'Dimensions.member.1.Value': 'a&b<c>',
      StartTime: at(0),
      EndTime: at(2),
      Period: '60',
      'Statistics.member.1': 'Sum',
      'Statistics.member.2': 'Maximum',
    });
    assert.equal(stats.status, 200, stats.xml);
    assert.equal(
      stats.xml,
      envelope(
        'GetMetricStatistics',
        stats.requestId,
        '<Label>Latency</Label><Datapoints><member><Timestamp>2026-11-25T12:00:00Z</Timestamp>' +
          '<Sum>4</Sum><Maximum>2.5</Maximum><Unit>Milliseconds</Unit></member></Datapoints>',
      ),
    );

    const none = await cloudWatch('GetMetricStatistics', {
      Namespace: 'Raw/Xml',
      MetricName: 'Nothing',
      StartTime: at(0),
      EndTime: at(2),
      Period: '60',
      'Statistics.member.1': 'Sum',
    });
    assert.equal(
      none.xml,
      envelope('GetMetricStatistics', none.requestId, '<Label>Nothing</Label><Datapoints/>'),
      'no data: an empty list element',
    );

    const listed = await cloudWatch('ListMetrics', { Namespace: 'Raw/Xml' });
    assert.equal(
      listed.xml,
      envelope(
        'ListMetrics',
        listed.requestId,
        '<Metrics><member><Namespace>Raw/Xml</Namespace><MetricName>Latency</MetricName><Dimensions>' +
          '<member><Name>Shop</Name><Value>a&amp;b&lt;c&gt;</Value></member></Dimensions></member></Metrics>',
      ),
    );
  });

  test('errors: the exact ErrorResponse, with CloudWatch codes for malformed and missing parameters', async () => {
    const badPeriod = await cloudWatch('GetMetricStatistics', {
      Namespace: 'Raw/Xml',
      MetricName: 'Latency',
      StartTime: at(0),
      EndTime: at(2),
      Period: 'sixty',
      'Statistics.member.1': 'Sum',
    });
    assert.equal(badPeriod.status, 400);
    assert.match(badPeriod.contentType, /^text\/xml/);
    assert.equal(
      badPeriod.xml,
      errorEnvelope(
        'InvalidParameterValue',
        'Value sixty for parameter Period is invalid. Reason: Must be an integer.',
        badPeriod.requestId,
      ),
    );

    const badTime = await cloudWatch('PutMetricData', {
      Namespace: 'Raw/Xml',
      'MetricData.member.1.MetricName': 'Latency',
      'MetricData.member.1.Value': '1',
      'MetricData.member.1.Timestamp': '2026-02-30T00:00:00Z',
    });
    assert.equal(badTime.status, 400);
    assert.equal(
      badTime.xml,
      errorEnvelope(
        'InvalidParameterValue',
        'Value 2026-02-30T00:00:00Z for parameter MetricData.member.1.Timestamp is invalid. ' +
          'Reason: Must be a date and time in ISO 8601 format.',
        badTime.requestId,
      ),
    );

    const noNamespace = await cloudWatch('PutMetricData', {
      'MetricData.member.1.MetricName': 'Latency',
      'MetricData.member.1.Value': '1',
    });
    assert.equal(noNamespace.status, 400);
    assert.match(
      noNamespace.xml,
      new RegExp(
        `^<\\?xml version="1.0"\\?><ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type>` +
          `<Code>MissingParameter</Code><Message>[^<]*Namespace[^<]*</Message></Error>` +
          `<RequestId>${noNamespace.requestId}</RequestId></ErrorResponse>$`,
      ),
    );

    const unknown = await cloudWatch('Frobnicate');
    assert.equal(unknown.status, 400);
    assert.equal(
      unknown.xml,
      errorEnvelope('InvalidAction', 'The action Frobnicate is not valid for this endpoint.', unknown.requestId),
    );
  });

  test('dispatch: the SigV4 credential scope decides when signed, Version when not', async () => {
    const signedAs = (service: string) => ({
      authorization:
        `AWS4-HMAC-SHA256 Credential=AKIDTEST/20261125/us-east-1/${service}/aws4_request, ` +
        'SignedHeaders=content-type;host;x-amz-date, Signature=0000',
    });
    // Signed for `monitoring`, no Version: CloudWatch.
    const signed = await query({ Action: 'ListMetrics', Namespace: 'Raw/None' }, signedAs('monitoring'));
    assert.equal(signed.xml, envelope('ListMetrics', signed.requestId, '<Metrics/>'));
    // Signed for `sqs`: SQS, whatever the Version says (and SQS has no ListMetrics).
    const sqs = await query({ Action: 'ListMetrics', Version: '2010-08-01' }, signedAs('sqs'));
    assert.equal(sqs.status, 400);
    assert.ok(sqs.xml.startsWith(`<?xml version="1.0"?><ErrorResponse xmlns="${SQS_NS}">`), sqs.xml);
    assert.match(sqs.xml, /<Code>InvalidAction<\/Code>/);
    // Unsigned: SQS's Version is SQS, as before.
    const sqsUnsigned = await query({ Action: 'ListQueues', Version: '2012-11-05' });
    assert.equal(sqsUnsigned.status, 200, sqsUnsigned.xml);
    assert.ok(sqsUnsigned.xml.includes(`<ListQueuesResponse xmlns="${SQS_NS}">`), sqsUnsigned.xml);
    // The query string works as well as the body.
    const byGet = await fetch(`${t.server.url}/?Action=ListMetrics&Version=2010-08-01&Namespace=Raw%2FNone`);
    const requestId = byGet.headers.get('x-amzn-requestid') ?? '';
    assert.equal(await byGet.text(), envelope('ListMetrics', requestId, '<Metrics/>'));

    // Presigned requests carry the scope in X-Amz-Credential.
    const presigned = new URLSearchParams({ 'X-Amz-Credential': 'AKID/20261125/us-east-1/monitoring/aws4_request' });
    assert.equal(isCloudWatchQuery(undefined, presigned), true);
    assert.equal(
      isCloudWatchQuery(signedAs('sqs').authorization, new URLSearchParams({ Version: '2010-08-01' })),
      false,
    );

    // The request metrics count CloudWatch's Query requests under service="cloudwatch".
    const metrics = await (await fetch(`${t.server.url}/metrics`)).text();
    const count = /^switchyard_requests_total\{service="cloudwatch",action="ListMetrics",status="200"\} (\d+)$/m.exec(
      metrics,
    );
    assert.ok(count, 'no cloudwatch ListMetrics sample');
    assert.ok(Number(count[1]) >= 2, metrics);
    assert.match(metrics, /^switchyard_requests_total\{service="sqs",action="ListMetrics",status="400"\} 1$/m);
  });
});

// ---- the AWS CLI ---------------------------------------------------------------------------------

describe('aws cloudwatch (CLI 2.9, Query protocol): metrics', () => {
  test('the CLI is installed', () => {
    assert.ok(existsSync(AWS_CLI), `${AWS_CLI} is missing: apt-get install awscli`);
  });

  const shop = '--dimensions Marketplace=eu-1,Seller=s1';
  const shopFilter = '--dimensions Name=Marketplace,Value=eu-1 Name=Seller,Value=s1';

  test('put-metric-data: a value, statistic values, values with counts; get-metric-statistics per minute', async () => {
    const put = 'put-metric-data --namespace Cli/Orders --metric-name Calls --unit Count';
    assert.deepEqual(await cwJson(`${put} --value 3 --timestamp ${at(0, 5)} ${shop}`), {});
    await cwJson(`${put} --value 5 --timestamp ${at(0, 40)} ${shop}`);
    await cwJson(`${put} --statistic-values SampleCount=4,Sum=20,Minimum=2,Maximum=8 --timestamp ${at(2)} ${shop}`);
    const dimensions = [
      { Name: 'Seller', Value: 's1' },
      { Name: 'Marketplace', Value: 'eu-1' },
    ];
    const datum = { MetricName: 'Calls', Dimensions: dimensions, Timestamp: at(1, 10), Unit: 'Count' };
    await cwJson(
      'put-metric-data --namespace Cli/Orders --metric-data',
      JSON.stringify([{ ...datum, Values: [1, 10], Counts: [3, 1] }]),
    );

    const all = '--statistics SampleCount Sum Average Minimum Maximum';
    assert.deepEqual(await statistics('Cli/Orders/Calls', `${minutes(0, 3)} --period 60 ${all} ${shopFilter}`), [
      { at: T0, SampleCount: 2, Sum: 8, Average: 4, Minimum: 3, Maximum: 5, Unit: 'Count' },
      { at: T0 + 60_000, SampleCount: 4, Sum: 13, Average: 3.25, Minimum: 1, Maximum: 10, Unit: 'Count' },
      { at: T0 + 120_000, SampleCount: 4, Sum: 20, Average: 5, Minimum: 2, Maximum: 8, Unit: 'Count' },
    ]);
    // Three minutes in one period; another unit matches nothing; the dimensions must match exactly.
    const sum = (line: string) => statistics('Cli/Orders/Calls', `${minutes(0, 3)} --statistics Sum ${line}`);
    assert.deepEqual(await sum(`--period 180 ${shopFilter}`), [{ at: T0, Sum: 41, Unit: 'Count' }]);
    assert.deepEqual(await sum(`--period 60 --unit Seconds ${shopFilter}`), []);
    assert.deepEqual(await sum('--period 60 --dimensions Name=Marketplace,Value=eu-1'), []);
  });

  test('get-metric-statistics --extended-statistics: percentiles of the values put', async () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    await cwJson(
      'put-metric-data --namespace Cli/Latency --metric-data',
      JSON.stringify([{ MetricName: 'Checkout', Timestamp: at(4, 10), Values: values, Unit: 'Milliseconds' }]),
    );
    assert.deepEqual(
      await statistics('Cli/Latency/Checkout', `${minutes(4, 5)} --period 60 --extended-statistics p99 p50`),
      [{ at: T0 + 4 * 60_000, Unit: 'Milliseconds', ExtendedStatistics: { p99: 99, p50: 50 } }],
    );
  });

  test('put-metric-data --storage-resolution 1: readable per second, and per minute', async () => {
    const put = 'put-metric-data --namespace Cli/Fast --metric-name Ticks --storage-resolution 1';
    await cwJson(`${put} --value 2 --timestamp ${at(5, 1)}`);
    await cwJson(`${put} --value 4 --timestamp ${at(5, 3)}`);
    await cwJson(`${put} --value 8 --timestamp ${at(5, 3)}`);
    const range = `--start-time ${at(5)} --end-time ${at(5, 10)}`;
    assert.deepEqual(await statistics('Cli/Fast/Ticks', `${range} --period 1 --statistics Sum`), [
      { at: T0 + 5 * 60_000 + 1000, Sum: 2, Unit: 'None' },
      { at: T0 + 5 * 60_000 + 3000, Sum: 12, Unit: 'None' },
    ]);
    assert.deepEqual(await statistics('Cli/Fast/Ticks', `${minutes(5, 6)} --period 60 --statistics Maximum`), [
      { at: T0 + 5 * 60_000, Maximum: 8, Unit: 'None' },
    ]);
  });

  test('list-metrics: by namespace, metric name and dimension filters', async () => {
    const put = 'put-metric-data --namespace Cli/Listed --value 1 --metric-name';
    await cwJson(`${put} Orders --dimensions Seller=s1`);
    await cwJson(`${put} Orders --dimensions Seller=s2,Marketplace=eu-1`);
    await cwJson(`${put} Returns --dimensions Seller=s1`);
    await cwJson(`${put} Returns`);

    interface Listed {
      Namespace: string;
      MetricName: string;
      Dimensions: { Name: string; Value: string }[];
    }
    const list = async (line = '') => {
      const out = await cwJson(`list-metrics --namespace Cli/Listed ${line}`);
      assert.equal(out.NextToken, undefined);
      return (out.Metrics as Listed[])
        .map((m) => `${m.Namespace}:${m.MetricName}{${m.Dimensions.map((d) => `${d.Name}=${d.Value}`).join(',')}}`)
        .sort();
    };
    const [o1, o2, r1, r0] = [
      'Cli/Listed:Orders{Marketplace=eu-1,Seller=s2}',
      'Cli/Listed:Orders{Seller=s1}',
      'Cli/Listed:Returns{Seller=s1}',
      'Cli/Listed:Returns{}',
    ];
    assert.deepEqual(await list(), [o1, o2, r1, r0]);
    assert.deepEqual(await list('--metric-name Returns'), [r1, r0]);
    assert.deepEqual(await list('--dimensions Name=Seller'), [o1, o2, r1]);
    assert.deepEqual(await list('--dimensions Name=Seller,Value=s2'), [o1]);
    assert.deepEqual(await list('--metric-name Orders --dimensions Name=Marketplace Name=Seller,Value=s1'), []);
    assert.deepEqual((await cwJson('list-metrics --namespace Cli/Nothing')).Metrics, []);
  });

  test('errors reach the CLI with their AWS codes and messages', async () => {
    const stats = async (line: string) =>
      cliError(await cw(`get-metric-statistics --namespace Cli/Orders --metric-name Calls ${minutes(0, 3)} ${line}`));
    assert.deepEqual(await stats('--period 61 --statistics Sum'), {
      code: 'InvalidParameterValue',
      operation: 'GetMetricStatistics',
      message: 'The parameter Period must be 1, 5, 10, 30 or a multiple of 60.',
    });
    assert.equal(
      (await stats('--period 60 --statistics Sum --extended-statistics p99')).code,
      'InvalidParameterCombination',
    );
    const neither = await stats('--period 60');
    assert.equal(neither.code, 'MissingParameter');
    assert.match(neither.message, /Statistics/);
    const unit = await stats('--period 60 --statistics Sum --unit Parsecs');
    assert.equal(unit.code, 'InvalidParameterValue');
    assert.match(unit.message, /Parsecs/);

    const put = async (line: string, ...more: string[]) => cliError(await cw(`put-metric-data ${line}`, ...more));
    const reserved = await put('--namespace AWS/Shop --metric-name X --value 1');
    assert.equal(reserved.code, 'InvalidParameterValue');
    assert.equal(reserved.operation, 'PutMetricData');
    assert.match(reserved.message, /AWS\/Shop/);
    const twoKinds = await put(
      '--namespace Cli/Orders --metric-data',
      JSON.stringify([{ MetricName: 'X', Value: 1, Values: [1] }]),
    );
    assert.equal(twoKinds.code, 'InvalidParameterCombination');
    const tooOld = await put('--namespace Cli/Orders --metric-name X --value 1 --timestamp 2026-01-01T00:00:00Z');
    assert.equal(tooOld.code, 'InvalidParameterValue');
    assert.match(tooOld.message, /Timestamp/);
  });
});

describe('aws cloudwatch (CLI 2.9, Query protocol): get-metric-data', () => {
  test('metric stats and math expressions, newest first unless --scan-by TimestampAscending', async () => {
    for (const [minute, orders, returns] of [
      [0, 3, 1],
      [1, 4, 0],
      [2, 5, 2],
    ] as const) {
      const put = `put-metric-data --namespace Cli/Math --dimensions Seller=s1 --timestamp ${at(minute, 5)}`;
      await cwJson(`${put} --metric-name Orders --value ${orders}`);
      await cwJson(`${put} --metric-name Returns --value ${returns}`);
    }
    const stat = (id: string, metric: string, extra: object = {}) => ({
      Id: id,
      MetricStat: {
        Metric: { Namespace: 'Cli/Math', MetricName: metric, Dimensions: [{ Name: 'Seller', Value: 's1' }] },
        Period: 60,
        Stat: 'Sum',
      },
      ...extra,
    });
    const queries = JSON.stringify([
      stat('m1', 'Orders'),
      stat('m2', 'Returns', { ReturnData: false }),
      { Id: 'e1', Expression: 'm1*2', Label: 'Orders doubled' },
      { Id: 'e2', Expression: 'SUM(METRICS())' },
    ]);
    interface Result {
      Id: string;
      Label: string;
      Timestamps: string[];
      Values: number[];
      StatusCode: string;
    }
    const run = async (line = '') => {
      const out = await cwJson(`get-metric-data ${minutes(0, 3)} ${line} --metric-data-queries`, queries);
      assert.deepEqual(out.Messages, []);
      return (out.MetricDataResults as Result[]).map((r) => ({ ...r, Timestamps: r.Timestamps.map(Date.parse) }));
    };
    const descending = [T0 + 120_000, T0 + 60_000, T0];
    const results = await run();
    assert.deepEqual(
      results.map(({ Id, Label, Timestamps, Values, StatusCode }) => ({ Id, Label, Timestamps, Values, StatusCode })),
      [
        { Id: 'm1', Label: 'Orders', Timestamps: descending, Values: [5, 4, 3], StatusCode: 'Complete' },
        { Id: 'e1', Label: 'Orders doubled', Timestamps: descending, Values: [10, 8, 6], StatusCode: 'Complete' },
        { Id: 'e2', Label: 'e2', Timestamps: descending, Values: [7, 4, 4], StatusCode: 'Complete' },
      ],
    );
    const ascending = await run('--scan-by TimestampAscending');
    assert.deepEqual(ascending[0]?.Timestamps, [T0, T0 + 60_000, T0 + 120_000]);
    assert.deepEqual(ascending[0]?.Values, [3, 4, 5]);

    const unknown = cliError(
      await cw(
        `get-metric-data ${minutes(0, 3)} --metric-data-queries`,
        JSON.stringify([{ Id: 'e1', Expression: 'm9*2' }]),
      ),
    );
    assert.equal(unknown.code, 'ValidationError');
    assert.equal(unknown.operation, 'GetMetricData');
    assert.match(unknown.message, /m9/);
  });
});

describe('aws cloudwatch (CLI 2.9, Query protocol): alarms', () => {
  interface MetricAlarm extends Record<string, unknown> {
    AlarmName: string;
    StateValue: string;
    ActionsEnabled: boolean;
  }
  const describeAlarms = async (line: string) => {
    const out = await cwJson(`describe-alarms ${line}`);
    assert.deepEqual(out.CompositeAlarms, []);
    return out.MetricAlarms as MetricAlarm[];
  };
  const names = (alarms: MetricAlarm[]) => alarms.map((a) => a.AlarmName).sort();
  const notices = 'arn:aws:sqs:us-east-1:000000000000:cli-alarm-notices';
  const now = () => new Date(clock.now()).toISOString();

  test('put-metric-alarm (one metric, and metric math), describe-alarms, describe-alarms-for-metric', async () => {
    await cwJson(
      'put-metric-alarm --alarm-name cli-orders-high --namespace Cli/Alarms --metric-name Orders',
      '--alarm-description',
      'Too many orders for one seller',
      ...words('--dimensions Name=Seller,Value=s1 --statistic Sum --period 60 --unit Count'),
      ...words('--evaluation-periods 3 --datapoints-to-alarm 2 --threshold 4.5'),
      ...words('--comparison-operator GreaterThanThreshold --treat-missing-data notBreaching'),
      ...words(`--alarm-actions ${notices} --ok-actions ${notices} --tags Key=team,Value=core`),
    );
    const math = [
      {
        Id: 'm1',
        MetricStat: {
          Metric: { Namespace: 'Cli/Alarms', MetricName: 'Orders', Dimensions: [{ Name: 'Seller', Value: 's1' }] },
          Period: 60,
          Stat: 'Sum',
        },
        ReturnData: false,
      },
      { Id: 'e1', Expression: 'm1*2', Label: 'doubled', ReturnData: true },
    ];
    await cwJson(
      'put-metric-alarm --alarm-name cli-orders-math --evaluation-periods 1 --threshold 10',
      ...words('--comparison-operator LessThanThreshold --no-actions-enabled --metrics'),
      JSON.stringify(math),
    );
    await t.server.alarms.evaluateDue();

    const [high] = await describeAlarms('--alarm-names cli-orders-high');
    assert.ok(high);
    const { StateValue, StateReason, StateReasonData, ...config } = high;
    assert.deepEqual(config, {
      AlarmName: 'cli-orders-high',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:cli-orders-high',
      AlarmDescription: 'Too many orders for one seller',
      AlarmConfigurationUpdatedTimestamp: now().replace('.000Z', '+00:00'),
      ActionsEnabled: true,
      OKActions: [notices],
      AlarmActions: [notices],
      InsufficientDataActions: [],
      StateUpdatedTimestamp: now().replace('.000Z', '+00:00'),
      MetricName: 'Orders',
      Namespace: 'Cli/Alarms',
      Statistic: 'Sum',
      Dimensions: [{ Name: 'Seller', Value: 's1' }],
      Period: 60,
      Unit: 'Count',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 4.5,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      StateTransitionedTimestamp: now().replace('.000Z', '+00:00'),
    });
    assert.ok(['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(StateValue), StateValue);
    assert.equal(typeof StateReason, 'string');
    assert.equal(typeof JSON.parse(StateReasonData as string), 'object');

    // The XML itself: ISO 8601 timestamps (botocore would also read epoch seconds), member lists, booleans.
    const xml = (await cloudWatch('DescribeAlarms', { 'AlarmNames.member.1': 'cli-orders-high' })).xml;
    const stamp = now().replace('.000Z', 'Z');
    const result =
      '<DescribeAlarmsResult><CompositeAlarms/><MetricAlarms><member><AlarmName>cli-orders-high</AlarmName>';
    assert.ok(xml.includes(result), xml);
    assert.ok(xml.includes(`<AlarmConfigurationUpdatedTimestamp>${stamp}</AlarmConfigurationUpdatedTimestamp>`), xml);
    assert.ok(xml.includes(`<ActionsEnabled>true</ActionsEnabled><OKActions><member>${notices}</member></OKActions>`));
    assert.ok(xml.includes('<InsufficientDataActions/>'), xml);
    assert.ok(xml.includes('<Dimensions><member><Name>Seller</Name><Value>s1</Value></member></Dimensions>'), xml);
    assert.ok(xml.includes('<Threshold>4.5</Threshold>'), xml);
    assert.ok(xml.includes('</member></MetricAlarms></DescribeAlarmsResult>'), xml);

    const [mathAlarm] = await describeAlarms('--alarm-names cli-orders-math');
    assert.equal(mathAlarm?.ActionsEnabled, false);
    assert.equal(mathAlarm?.Threshold, 10);
    assert.deepEqual(mathAlarm?.Metrics, math);
    assert.equal(mathAlarm?.MetricName, undefined);

    assert.deepEqual(names(await describeAlarms('--alarm-name-prefix cli-orders-')), [
      'cli-orders-high',
      'cli-orders-math',
    ]);
    assert.deepEqual(names(await describeAlarms('--alarm-names cli-orders-math cli-nothing')), ['cli-orders-math']);
    assert.deepEqual(names(await describeAlarms('--alarm-name-prefix cli-nothing')), []);
    const forMetric = await cwJson(
      'describe-alarms-for-metric --namespace Cli/Alarms --metric-name Orders --dimensions Name=Seller,Value=s1',
    );
    assert.deepEqual(names(forMetric.MetricAlarms as MetricAlarm[]), ['cli-orders-high']);
    const otherMetric = await cwJson('describe-alarms-for-metric --namespace Cli/Alarms --metric-name Returns');
    assert.deepEqual(otherMetric.MetricAlarms, []);

    const badPeriod = cliError(
      await cw(
        'put-metric-alarm --alarm-name cli-bad --namespace Cli/Alarms --metric-name Orders --statistic Sum',
        ...words('--period 61 --evaluation-periods 1 --threshold 1 --comparison-operator GreaterThanThreshold'),
      ),
    );
    assert.equal(badPeriod.operation, 'PutMetricAlarm');
    assert.equal(badPeriod.code, 'ValidationError');
    assert.match(badPeriod.message, /Period/);
  });

  test('list-tags-for-resource, tag-resource, untag-resource on an alarm ARN', async () => {
    const arn = 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:cli-tags';
    await cwJson(
      'put-metric-alarm --alarm-name cli-tags --namespace Cli/Alarms --metric-name Orders --statistic Sum',
      ...words('--period 60 --evaluation-periods 1 --threshold 1 --comparison-operator GreaterThanThreshold'),
      ...words('--tags Key=team,Value=core'),
    );
    assert.deepEqual(await cwJson(`list-tags-for-resource --resource-arn ${arn}`), {
      Tags: [{ Key: 'team', Value: 'core' }],
    });
    assert.deepEqual(await cwJson(`tag-resource --resource-arn ${arn} --tags Key=env,Value=prod`), {});
    assert.deepEqual(await cwJson(`untag-resource --resource-arn ${arn} --tag-keys team`), {});
    assert.deepEqual(await cwJson(`list-tags-for-resource --resource-arn ${arn}`), {
      Tags: [{ Key: 'env', Value: 'prod' }],
    });
    const gone = cliError(await cw(`list-tags-for-resource --resource-arn ${arn}-gone`));
    assert.deepEqual(gone, {
      code: 'ResourceNotFoundException',
      operation: 'ListTagsForResource',
      message: 'Alarm cli-tags-gone not found',
    });
  });

  test('set-alarm-state, describe-alarm-history, disable/enable-alarm-actions, delete-alarms', async () => {
    await cwJson(
      'put-metric-alarm --alarm-name cli-state --namespace Cli/Alarms --metric-name Latency --statistic Maximum',
      ...words('--period 60 --evaluation-periods 1 --threshold 100 --comparison-operator GreaterThanThreshold'),
    );
    await t.server.alarms.evaluateDue();
    await cwJson(
      'set-alarm-state --alarm-name cli-state --state-value ALARM',
      '--state-reason',
      'Set by the CLI test',
      '--state-reason-data',
      '{"source":"cli"}',
    );
    const [alarm] = await describeAlarms('--alarm-names cli-state');
    assert.equal(alarm?.StateValue, 'ALARM');
    assert.equal(alarm?.StateReason, 'Set by the CLI test');
    assert.equal(alarm?.StateReasonData, '{"source":"cli"}');

    interface HistoryItem {
      AlarmName: string;
      AlarmType: string;
      Timestamp: string;
      HistoryItemType: string;
      HistorySummary: string;
      HistoryData: string;
    }
    const history = async (line: string) =>
      (await cwJson(`describe-alarm-history --alarm-name cli-state ${line}`)).AlarmHistoryItems as HistoryItem[];
    const [latest] = await history('--history-item-type StateUpdate');
    assert.ok(latest);
    assert.equal(latest.AlarmName, 'cli-state');
    assert.equal(latest.AlarmType, 'MetricAlarm');
    assert.equal(Date.parse(latest.Timestamp), clock.now());
    assert.match(latest.HistorySummary, /to ALARM$/);
    assert.equal((JSON.parse(latest.HistoryData) as { newState: { stateValue: string } }).newState.stateValue, 'ALARM');
    const [first] = await history('--scan-by TimestampAscending --history-item-type ConfigurationUpdate');
    assert.equal(first?.HistorySummary, 'Alarm "cli-state" created');
    assert.deepEqual(await history(`--start-date ${at(11)}`), []);
    assert.ok((await history(`--start-date ${at(9)} --end-date ${at(11)}`)).length >= 2);

    await cwJson('disable-alarm-actions --alarm-names cli-state');
    assert.equal((await describeAlarms('--alarm-names cli-state'))[0]?.ActionsEnabled, false);
    await cwJson('enable-alarm-actions --alarm-names cli-state');
    assert.equal((await describeAlarms('--alarm-names cli-state'))[0]?.ActionsEnabled, true);

    const badState = cliError(await cw('set-alarm-state --alarm-name cli-state --state-value BROKEN --state-reason x'));
    assert.equal(badState.code, 'ValidationError');
    assert.match(badState.message, /BROKEN/);
    const badData = cliError(
      await cw('set-alarm-state --alarm-name cli-state --state-value OK --state-reason x --state-reason-data {bad'),
    );
    assert.deepEqual(badData, {
      code: 'InvalidFormat',
      operation: 'SetAlarmState',
      message: 'Data was not syntactically valid JSON',
    });

    assert.deepEqual(await cwJson('delete-alarms --alarm-names cli-state'), {});
    assert.deepEqual(await describeAlarms('--alarm-names cli-state'), []);
    const gone = cliError(await cw('set-alarm-state --alarm-name cli-state --state-value OK --state-reason x'));
    assert.equal(gone.code, 'ResourceNotFound');
    assert.match(gone.message, /cli-state/);
  });
});
