import { randomUUID } from 'node:crypto';
import { AwsError } from '../core/errors.js';
import { type CloudWatchServices, runCloudWatchAction } from './cloudwatch-actions.js';
import {
  decodeMembers,
  formAction,
  formTree,
  type InMembers,
  type InShape,
  inShapes,
  type OutMembers,
  type OutShape,
  outShapes,
  type QueryAction,
  type QueryErrors,
  queryErrorResponse,
  queryResponse,
} from './query-codec.js';
import type { WireResponse } from './wire.js';

/**
 * The AWS Query protocol for CloudWatch (`Action=…&Version=2010-08-01`, form-encoded; XML answers), as Debian's
 * AWS CLI 2.9 and other older clients speak it. A thin adapter: it decodes the form into the input objects the
 * JSON 1.0 adapter hands to `runCloudWatchAction` and writes the output object as AWS's XML. Names, lists
 * (`Name.member.N`, `<Name><member/></Name>`), maps (`<entry><key/><value/></entry>`) and result wrappers
 * follow botocore's `cloudwatch/2010-08-01/service-2.json` (protocol "query").
 */

export const CLOUDWATCH_XML_NAMESPACE = 'http://monitoring.amazonaws.com/doc/2010-08-01/';
export const CLOUDWATCH_QUERY_VERSION = '2010-08-01';

/**
 * Whether a Query request is CloudWatch's rather than SQS's: by the SigV4 credential scope's service
 * (`Credential=AKID/20261126/us-east-1/monitoring/aws4_request`, in the Authorization header or presigned in
 * `X-Amz-Credential`) when the request is signed, else by `Version`.
 */
export function isCloudWatchQuery(authorization: string | undefined, params: URLSearchParams): boolean {
  const credential = /Credential=([^,\s]+)/.exec(authorization ?? '')?.[1] ?? params.get('X-Amz-Credential');
  const scope = credential?.split('/');
  if (scope?.length === 5 && scope[4] === 'aws4_request') return scope[3] === 'monitoring';
  return params.getAll('Version').at(-1) === CLOUDWATCH_QUERY_VERSION;
}

// ---- request shapes: lists as `Name.member.N` ------------------------------------------------------

const { string: S, integer: I, double: D, boolean: B, timestamp: TS, struct } = inShapes;
const list = (of: InShape) => inShapes.list(of, 'member');

const dimensionsIn = list(struct({ Name: S, Value: S }));
const metricIn = struct({ Namespace: S, MetricName: S, Dimensions: dimensionsIn });
const metricDataQueriesIn = list(
  struct({
    Id: S,
    MetricStat: struct({ Metric: metricIn, Period: I, Stat: S, Unit: S }),
    Expression: S,
    Label: S,
    ReturnData: B,
    Period: I,
    AccountId: S,
  }),
);
/** The metric an alarm watches, as PutMetricAlarm and DescribeAlarmsForMetric name it. */
const alarmMetricIn: InMembers = {
  MetricName: S,
  Namespace: S,
  Statistic: S,
  ExtendedStatistic: S,
  Dimensions: dimensionsIn,
  Period: I,
  Unit: S,
};
const alarmNamesIn: InMembers = { AlarmNames: list(S) };

// ---- response shapes: lists as `<Name><member/></Name>` ----------------------------------------------
// Members not named here are written as scalars after those that are: the tables name the members that are
// not plain scalars, and the scalars before them, so that the XML keeps the model's order.

const { scalar: outScalar, timestamp: outTimestamp, struct: oStruct } = outShapes;
const oList = (of: OutShape) => outShapes.list('member', of, true);

/** Scalar members, in order. */
const scalars = (...names: string[]): OutMembers => Object.fromEntries(names.map((name) => [name, outScalar]));
const scalarList = oList(outScalar);

const dimensionsOut = oList(oStruct({}));
const metricOut = oStruct({ ...scalars('Namespace', 'MetricName'), Dimensions: dimensionsOut });
const metricDataQueriesOut = oList(oStruct({ Id: outScalar, MetricStat: oStruct({ Metric: metricOut }) }));
const messagesOut = oList(oStruct({}));
const datapointOut = oStruct({
  Timestamp: outTimestamp,
  ...scalars('SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum', 'Unit'),
  ExtendedStatistics: outShapes.map('entry', 'key', 'value', outScalar, true),
});
const metricAlarmsOut = oList(
  oStruct({
    ...scalars('AlarmName', 'AlarmArn', 'AlarmDescription'),
    AlarmConfigurationUpdatedTimestamp: outTimestamp,
    ActionsEnabled: outScalar,
    OKActions: scalarList,
    AlarmActions: scalarList,
    InsufficientDataActions: scalarList,
    ...scalars('StateValue', 'StateReason', 'StateReasonData'),
    StateUpdatedTimestamp: outTimestamp,
    ...scalars('MetricName', 'Namespace', 'Statistic', 'ExtendedStatistic'),
    Dimensions: dimensionsOut,
    ...scalars('Period', 'Unit', 'EvaluationPeriods', 'DatapointsToAlarm', 'Threshold', 'ComparisonOperator'),
    ...scalars('TreatMissingData', 'EvaluateLowSampleCountPercentile'),
    Metrics: metricDataQueriesOut,
    ...scalars('ThresholdMetricId', 'EvaluationState'),
    StateTransitionedTimestamp: outTimestamp,
  }),
);
const compositeAlarmsOut = oList(
  oStruct({
    ActionsEnabled: outScalar,
    AlarmActions: scalarList,
    AlarmArn: outScalar,
    AlarmConfigurationUpdatedTimestamp: outTimestamp,
    ...scalars('AlarmDescription', 'AlarmName', 'AlarmRule'),
    InsufficientDataActions: scalarList,
    OKActions: scalarList,
    ...scalars('StateReason', 'StateReasonData'),
    StateUpdatedTimestamp: outTimestamp,
    StateValue: outScalar,
    StateTransitionedTimestamp: outTimestamp,
  }),
);

// ---- the actions -----------------------------------------------------------------------------------

/**
 * Every action this adapter decodes. Those not (yet) in CLOUDWATCH_ACTIONS are decoded all the same and answered
 * by `runCloudWatchAction` (InvalidAction until the service has them).
 */
const QUERY_ACTIONS = new Map<string, QueryAction>([
  [
    'PutMetricData',
    {
      input: {
        Namespace: S,
        MetricData: list(
          struct({
            MetricName: S,
            Dimensions: dimensionsIn,
            Timestamp: TS,
            Value: D,
            StatisticValues: struct({ SampleCount: D, Sum: D, Minimum: D, Maximum: D }),
            Values: list(D),
            Counts: list(D),
            Unit: S,
            StorageResolution: I,
          }),
        ),
      },
    },
  ],
  [
    'GetMetricData',
    {
      input: {
        MetricDataQueries: metricDataQueriesIn,
        StartTime: TS,
        EndTime: TS,
        NextToken: S,
        ScanBy: S,
        MaxDatapoints: I,
        LabelOptions: struct({ Timezone: S }),
      },
      output: {
        MetricDataResults: oList(
          oStruct({
            ...scalars('Id', 'Label'),
            Timestamps: oList(outTimestamp),
            Values: scalarList,
            StatusCode: outScalar,
            Messages: messagesOut,
          }),
        ),
        Messages: messagesOut,
      },
    },
  ],
  [
    'GetMetricStatistics',
    {
      input: {
        Namespace: S,
        MetricName: S,
        Dimensions: dimensionsIn,
        StartTime: TS,
        EndTime: TS,
        Period: I,
        Statistics: list(S),
        ExtendedStatistics: list(S),
        Unit: S,
      },
      output: {
        Label: outScalar,
        Datapoints: oList(datapointOut),
      },
    },
  ],
  [
    'ListMetrics',
    {
      input: {
        Namespace: S,
        MetricName: S,
        Dimensions: dimensionsIn,
        NextToken: S,
        RecentlyActive: S,
        IncludeLinkedAccounts: B,
        OwningAccount: S,
      },
      output: { Metrics: oList(metricOut), OwningAccounts: scalarList },
    },
  ],
  [
    'PutMetricAlarm',
    {
      input: {
        AlarmName: S,
        AlarmDescription: S,
        ActionsEnabled: B,
        OKActions: list(S),
        AlarmActions: list(S),
        InsufficientDataActions: list(S),
        ...alarmMetricIn,
        EvaluationPeriods: I,
        DatapointsToAlarm: I,
        Threshold: D,
        ComparisonOperator: S,
        TreatMissingData: S,
        EvaluateLowSampleCountPercentile: S,
        Metrics: metricDataQueriesIn,
        Tags: list(struct({ Key: S, Value: S })),
        ThresholdMetricId: S,
      },
    },
  ],
  [
    'DescribeAlarms',
    {
      input: {
        ...alarmNamesIn,
        AlarmNamePrefix: S,
        AlarmTypes: list(S),
        ChildrenOfAlarmName: S,
        ParentsOfAlarmName: S,
        StateValue: S,
        ActionPrefix: S,
        MaxRecords: I,
        NextToken: S,
      },
      output: {
        CompositeAlarms: compositeAlarmsOut,
        MetricAlarms: metricAlarmsOut,
      },
    },
  ],
  ['DescribeAlarmsForMetric', { input: alarmMetricIn, output: { MetricAlarms: metricAlarmsOut } }],
  [
    'DescribeAlarmHistory',
    {
      input: {
        AlarmName: S,
        AlarmTypes: list(S),
        HistoryItemType: S,
        StartDate: TS,
        EndDate: TS,
        MaxRecords: I,
        NextToken: S,
        ScanBy: S,
      },
      output: { AlarmHistoryItems: oList(oStruct({ ...scalars('AlarmName', 'AlarmType'), Timestamp: outTimestamp })) },
    },
  ],
  ['DeleteAlarms', { input: alarmNamesIn }],
  ['SetAlarmState', { input: { AlarmName: S, StateValue: S, StateReason: S, StateReasonData: S } }],
  ['EnableAlarmActions', { input: alarmNamesIn }],
  ['DisableAlarmActions', { input: alarmNamesIn }],
  ['ListTagsForResource', { input: { ResourceARN: S }, output: { Tags: oList(oStruct({})) } }],
  // Both have an (empty) output shape in the model, so AWS answers with an empty Result element.
  ['TagResource', { input: { ResourceARN: S, Tags: list(struct({ Key: S, Value: S })) }, output: {} }],
  ['UntagResource', { input: { ResourceARN: S, TagKeys: list(S) }, output: {} }],
]);

/** The actions this adapter decodes (for tests: it must cover every action of CLOUDWATCH_ACTIONS). */
export const CLOUDWATCH_QUERY_ACTIONS: readonly string[] = [...QUERY_ACTIONS.keys()];

/** A malformed form gets CloudWatch's codes. */
const ERRORS: QueryErrors = {
  invalid: (parameter, value, reason) =>
    new AwsError(
      'CloudWatchInvalidParameterValue',
      `Value ${value} for parameter ${parameter} is invalid. Reason: ${reason}`,
    ),
  missing: (parameter) => new AwsError('CloudWatchMissingParameter', `The parameter ${parameter} is required.`),
};

// ---- the adapter -----------------------------------------------------------------------------------

/** Answers one CloudWatch Query request; `params` holds the form (query string and body merged). */
export async function handleCloudWatchQuery(
  services: CloudWatchServices,
  ctx: Parameters<typeof runCloudWatchAction>[1],
  params: URLSearchParams,
  requestId: string = randomUUID(),
): Promise<WireResponse> {
  const form = formTree(params);
  const [action, spec] = formAction(form, QUERY_ACTIONS);
  const output = await runCloudWatchAction(services, ctx, action, decodeMembers(spec.input, form, '', ERRORS));
  return queryResponse(CLOUDWATCH_XML_NAMESPACE, action, spec, output, requestId);
}

export function cloudWatchQueryError(error: AwsError, requestId: string): WireResponse {
  return queryErrorResponse(CLOUDWATCH_XML_NAMESPACE, error, error.message, requestId);
}
