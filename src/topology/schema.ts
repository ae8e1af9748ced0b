/**
 * The `switchyard.yaml` format: the shape of each resource, as zod schemas. Field ranges and name rules are AWS's
 * (SQS CreateQueue attributes, EventBridge PutRule / PutTargets, CloudWatch PutMetricAlarm). What a schema cannot
 * say (cross-references, one-of choices, FIFO rules, pattern and schedule syntax) the loader checks (load.ts); the
 * JSON Schema for editors is generated from these schemas (`npm run schema`).
 */
import { z } from 'zod';
import { COMPARISON_OPERATORS, TREAT_MISSING_DATA } from '../core/alarms.js';
import { METRIC_UNITS, STANDARD_STATISTICS } from '../core/metrics/statistics.js';

// ---- building blocks ------------------------------------------------------------------------------

/** An integer from `min` to `max`, with one message for every way of missing it. */
function int(min: number, max: number, what: string) {
  const error = `must be an integer from ${min} to ${max}${what ? ` (${what})` : ''}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

function text(min: number, max: number, what = 'a string') {
  const error =
    min > 0 ? `must be ${what} of ${min} to ${max} characters` : `must be ${what} of at most ${max} characters`;
  return z.string({ error: 'must be a string' }).min(min, { error }).max(max, { error });
}

/** Resource tags: keys 1–128 characters not starting with `aws:`, values up to 256; at most 50 of them. */
export const Tags = z
  .record(
    z
      .string()
      .min(1, { error: 'tag keys are 1 to 128 characters' })
      .max(128, { error: 'tag keys are 1 to 128 characters' })
      .regex(/^(?![aA][wW][sS]:)/, { error: 'tag keys may not start with "aws:" (reserved by AWS)' }),
    z.string({ error: 'tag values are strings (quote numbers and booleans)' }).max(256, {
      error: 'tag values are at most 256 characters',
    }),
    { error: 'must be a mapping of tag keys to values' },
  )
  .meta({
    description: 'Tags: key → value. At most 50; keys 1–128 characters, not starting with aws:.',
    maxProperties: 50,
  });

export const QUEUE_NAME = /^(?:[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$/;
export const BUS_NAME = /^[.\-_A-Za-z0-9]{1,256}$/;
export const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
export const TARGET_ID = /^[.\-_A-Za-z0-9]{1,64}$/;
/** SQS: alphanumerics and punctuation, up to 128 characters. */
export const MESSAGE_GROUP_ID = /^[A-Za-z0-9!-/:-@[-`{-~]{1,128}$/;

const QueueName = z.string().regex(QUEUE_NAME, {
  error:
    'queue names are 1 to 80 letters, digits, hyphens and underscores; a FIFO queue\'s name ends in ".fifo" (75 more at most)',
});
const BusName = z
  .string()
  .regex(BUS_NAME, { error: 'bus names are 1 to 256 letters, digits, dots, hyphens and underscores' });
const RuleName = z
  .string()
  .regex(RULE_NAME, { error: 'rule names are 1 to 64 letters, digits, dots, hyphens and underscores' });
const AlarmName = z
  .string()
  .regex(/^[^\u0000-\u001f\u007f]{1,255}$/, { error: 'alarm names are 1 to 255 characters, no control characters' });

/** A reference to a queue declared in this file, by name. */
const QueueRef = z.string({ error: 'must be the name of a queue declared under queues' });

const HttpUrl = z
  .string({ error: 'must be an http:// or https:// URL' })
  .max(1600, { error: 'URLs are at most 1600 characters' })
  .regex(/^https?:\/\/\S+$/, { error: 'must be an http:// or https:// URL' });

// ---- queues -----------------------------------------------------------------------------------------

export const QueueSchema = z
  .strictObject(
    {
      fifo: z
        .boolean({ error: 'must be true or false' })
        .optional()
        .meta({ description: 'A FIFO queue. Defaults to whether the name ends in .fifo, which it must match.' }),
      delaySeconds: int(0, 900, 'seconds')
        .optional()
        .meta({ description: 'DelaySeconds: how long each message stays invisible after it is sent. Default 0.' }),
      maximumMessageSize: int(1024, 1_048_576, 'bytes')
        .optional()
        .meta({ description: 'MaximumMessageSize in bytes. Default 1048576 (1 MiB).' }),
      messageRetentionPeriod: int(60, 1_209_600, 'seconds')
        .optional()
        .meta({ description: 'MessageRetentionPeriod in seconds (1 minute to 14 days). Default 345600 (4 days).' }),
      receiveMessageWaitTimeSeconds: int(0, 20, 'seconds')
        .optional()
        .meta({ description: 'ReceiveMessageWaitTimeSeconds: the default long-poll wait. Default 0.' }),
      visibilityTimeout: int(0, 43_200, 'seconds')
        .optional()
        .meta({ description: 'VisibilityTimeout in seconds (up to 12 hours). Default 30.' }),
      kmsMasterKeyId: text(1, 2048)
        .optional()
        .meta({ description: 'KmsMasterKeyId: a KMS key for server-side encryption (instead of SQS-managed SSE).' }),
      kmsDataKeyReusePeriodSeconds: int(60, 86_400, 'seconds')
        .optional()
        .meta({ description: 'KmsDataKeyReusePeriodSeconds, with kmsMasterKeyId only. Default 300.' }),
      sqsManagedSseEnabled: z
        .boolean({ error: 'must be true or false' })
        .optional()
        .meta({ description: 'SqsManagedSseEnabled. Default true, or false when kmsMasterKeyId is given.' }),
      deadLetterQueue: QueueRef.optional().meta({
        description:
          'The dead-letter queue (RedrivePolicy), by name: a queue declared here, FIFO exactly when this one is.',
      }),
      maxReceiveCount: int(1, 1000, 'receives')
        .optional()
        .meta({ description: 'Receives before a message moves to the dead-letter queue. Default 5.' }),
      contentBasedDeduplication: z
        .boolean({ error: 'must be true or false' })
        .optional()
        .meta({ description: 'FIFO only: ContentBasedDeduplication. Default false.' }),
      deduplicationScope: z
        .enum(['queue', 'messageGroup'], { error: 'must be "queue" or "messageGroup"' })
        .optional()
        .meta({ description: 'FIFO only: DeduplicationScope. Default queue.' }),
      fifoThroughputLimit: z
        .enum(['perQueue', 'perMessageGroupId'], { error: 'must be "perQueue" or "perMessageGroupId"' })
        .optional()
        .meta({
          description: 'FIFO only: FifoThroughputLimit. Default perQueue; perMessageGroupId needs messageGroup scope.',
        }),
      tags: Tags.optional(),
    },
    { error: 'must be a mapping of queue settings ({} for all defaults)' },
  )
  .meta({ description: 'An SQS queue; the key is its name.' });

// ---- buses ------------------------------------------------------------------------------------------

export const BusSchema = z
  .strictObject(
    {
      description: text(0, 512).optional().meta({ description: 'Description, up to 512 characters.' }),
      tags: Tags.optional(),
    },
    { error: 'must be a mapping of bus settings ({} for all defaults)' },
  )
  .meta({ description: 'A custom EventBridge event bus; the key is its name. The default bus is never declared.' });

// ---- rules and targets ------------------------------------------------------------------------------

const RetryPolicySchema = z
  .strictObject(
    {
      maximumRetryAttempts: int(0, 185, 'retries')
        .optional()
        .meta({ description: 'MaximumRetryAttempts. Default 185.' }),
      maximumEventAgeInSeconds: int(60, 86_400, 'seconds')
        .optional()
        .meta({ description: 'MaximumEventAgeInSeconds. Default 86400 (24 hours).' }),
    },
    { error: 'must be a mapping with maximumRetryAttempts and maximumEventAgeInSeconds' },
  )
  .meta({ description: 'RetryPolicy of the target.' });

const InputTransformerSchema = z
  .strictObject(
    {
      inputPathsMap: z
        .record(z.string(), z.string({ error: 'must be a JSON path such as $.detail.orderId' }), {
          error: 'must be a mapping of placeholder names to JSON paths',
        })
        .optional()
        .meta({ description: 'InputPathsMap: placeholder name → JSON path into the event (up to 100).' }),
      inputTemplate: text(1, 8192).meta({
        description: 'InputTemplate, with <name> placeholders for the paths and the aws.events.* variables.',
      }),
    },
    { error: 'must be a mapping with inputPathsMap and inputTemplate' },
  )
  .meta({ description: 'InputTransformer: what the target receives, built from parts of the event.' });

const HttpParametersSchema = z
  .strictObject(
    {
      headerParameters: z
        .record(z.string(), z.string({ error: 'header values are strings' }), {
          error: 'must be a mapping of header names to values',
        })
        .optional()
        .meta({ description: 'HTTP headers sent with each delivery.' }),
      queryStringParameters: z
        .record(z.string(), z.string({ error: 'query string values are strings' }), {
          error: 'must be a mapping of parameter names to values',
        })
        .optional()
        .meta({ description: 'Query string parameters added to the URL.' }),
    },
    { error: 'must be a mapping with headerParameters and queryStringParameters' },
  )
  .meta({ description: 'HttpParameters of an url target.' });

export const TargetSchema = z
  .strictObject(
    {
      id: z
        .string({ error: 'must be a string' })
        .regex(TARGET_ID, { error: 'target ids are 1 to 64 letters, digits, dots, hyphens and underscores' })
        .meta({ description: "The target's Id, unique within the rule." }),
      queue: QueueRef.optional().meta({
        description: 'Deliver to this queue (declared here). One of queue, bus, url.',
      }),
      bus: z
        .string({ error: 'must be the name of a bus declared under buses, or default' })
        .optional()
        .meta({ description: 'Deliver to this event bus (declared here, or default). One of queue, bus, url.' }),
      url: HttpUrl.optional().meta({
        description: 'POST to this URL (an API destination on AWS). One of queue, bus, url.',
      }),
      input: z
        .union([z.string(), z.record(z.string(), z.unknown())], {
          error: 'must be JSON text or a mapping (sent as its JSON)',
        })
        .optional()
        .meta({ description: 'Input: a constant JSON payload instead of the event. At most one of the input forms.' }),
      inputPath: text(1, 256)
        .optional()
        .meta({ description: 'InputPath: the part of the event to send, as $.detail.' }),
      inputTransformer: InputTransformerSchema.optional(),
      messageGroupId: z
        .string({ error: 'must be a string' })
        .regex(MESSAGE_GROUP_ID, { error: 'message group ids are 1 to 128 letters, digits and punctuation' })
        .optional()
        .meta({
          description:
            'SqsParameters.MessageGroupId: required exactly when the target is a FIFO queue. A constant: EventBridge does not take it from the event.',
        }),
      httpParameters: HttpParametersSchema.optional(),
      retryPolicy: RetryPolicySchema.optional(),
      deadLetterQueue: QueueRef.optional().meta({
        description: 'DeadLetterConfig: a standard queue declared here, for events the target could not take.',
      }),
    },
    { error: 'must be a mapping: a target with an id and one of queue, bus and url' },
  )
  .meta({ description: 'A rule target: exactly one of queue, bus or url.' });

export const RuleSchema = z
  .strictObject(
    {
      bus: z
        .string({ error: 'must be the name of a bus declared under buses, or default' })
        .optional()
        .meta({ description: 'The event bus the rule is on. Default: default.' }),
      description: text(0, 512).optional().meta({ description: 'Description, up to 512 characters.' }),
      state: z
        .enum(['ENABLED', 'DISABLED'], { error: 'must be ENABLED or DISABLED' })
        .optional()
        .meta({ description: 'State. Default ENABLED.' }),
      pattern: z
        .record(z.string(), z.unknown(), { error: 'must be a mapping: an EventBridge event pattern' })
        .optional()
        .meta({ description: 'EventPattern, as a mapping. Exactly one of pattern and schedule.' }),
      schedule: text(1, 256)
        .optional()
        .meta({ description: 'ScheduleExpression: rate(…) or cron(…), on the default bus only.' }),
      targets: z
        .array(TargetSchema, { error: 'must be a list of targets' })
        .max(5, { error: 'a rule has at most 5 targets' })
        .optional()
        .meta({ description: 'Up to 5 targets.' }),
      tags: Tags.optional(),
    },
    { error: 'must be a mapping of rule settings' },
  )
  .meta({ description: 'An EventBridge rule; the key is its name.' });

// ---- alarms -----------------------------------------------------------------------------------------

const AlarmActionSchema = z
  .strictObject(
    {
      queue: QueueRef.optional().meta({ description: 'Notify this standard queue (declared here).' }),
      url: HttpUrl.optional().meta({ description: 'POST the notification to this URL.' }),
    },
    { error: 'must be a mapping with a queue or a url' },
  )
  .meta({ description: 'An alarm action: exactly one of queue and url.' });

const AlarmActionList = z
  .array(AlarmActionSchema, { error: 'must be a list of actions' })
  .max(5, { error: 'at most 5 actions per state' });

export const AlarmSchema = z
  .strictObject(
    {
      description: text(0, 1024).optional().meta({ description: 'AlarmDescription, up to 1024 characters.' }),
      namespace: z
        .string({ error: 'must be a string' })
        .min(1, { error: 'namespaces are 1 to 255 characters, not starting with ":"' })
        .max(255, { error: 'namespaces are 1 to 255 characters, not starting with ":"' })
        .regex(/^[^:]/, { error: 'namespaces are 1 to 255 characters, not starting with ":"' })
        .meta({ description: 'The metric namespace, as AWS/SQS or AWS/Events.' }),
      metric: text(1, 255).meta({ description: 'MetricName, as ApproximateNumberOfMessagesVisible.' }),
      dimensions: z
        .record(
          z.string().min(1, { error: 'dimension names are 1 to 255 characters' }).max(255, {
            error: 'dimension names are 1 to 255 characters',
          }),
          text(1, 1024),
          { error: 'must be a mapping of dimension names to values' },
        )
        .optional()
        .meta({ description: 'Dimensions: name → value, up to 30; as QueueName: orders.' }),
      statistic: z
        .enum(STANDARD_STATISTICS, { error: `must be one of ${STANDARD_STATISTICS.join(', ')}` })
        .optional()
        .meta({ description: 'Statistic. Exactly one of statistic and extendedStatistic.' }),
      extendedStatistic: text(1, 64).optional().meta({ description: 'ExtendedStatistic, as p99 or TM(10%:90%).' }),
      period: z
        .number({ error: 'must be 10, 20, 30 or a multiple of 60 (seconds)' })
        .int({ error: 'must be 10, 20, 30 or a multiple of 60 (seconds)' })
        .min(10, { error: 'must be 10, 20, 30 or a multiple of 60 (seconds)' })
        .meta({ description: 'Period in seconds: 10, 20, 30 or a multiple of 60.' }),
      evaluationPeriods: z
        .number({ error: 'must be a positive integer' })
        .int({ error: 'must be a positive integer' })
        .min(1, { error: 'must be a positive integer' })
        .meta({ description: 'EvaluationPeriods.' }),
      datapointsToAlarm: z
        .number({ error: 'must be a positive integer' })
        .int({ error: 'must be a positive integer' })
        .min(1, { error: 'must be a positive integer' })
        .optional()
        .meta({ description: 'DatapointsToAlarm (M of N). Default: evaluationPeriods.' }),
      threshold: z.number({ error: 'must be a number' }).meta({ description: 'Threshold.' }),
      comparison: z
        .enum(COMPARISON_OPERATORS, { error: `must be one of ${COMPARISON_OPERATORS.join(', ')}` })
        .meta({ description: 'ComparisonOperator.' }),
      treatMissingData: z
        .enum(TREAT_MISSING_DATA, { error: `must be one of ${TREAT_MISSING_DATA.join(', ')}` })
        .optional()
        .meta({ description: 'TreatMissingData. Default missing.' }),
      unit: z
        .enum(METRIC_UNITS, { error: 'must be a CloudWatch unit, as Count or Seconds' })
        .optional()
        .meta({ description: 'Unit of the metric, when it is recorded with one.' }),
      actionsEnabled: z
        .boolean({ error: 'must be true or false' })
        .optional()
        .meta({ description: 'ActionsEnabled. Default true.' }),
      actions: z
        .strictObject(
          {
            alarm: AlarmActionList.optional().meta({ description: 'AlarmActions.' }),
            ok: AlarmActionList.optional().meta({ description: 'OKActions.' }),
            insufficientData: AlarmActionList.optional().meta({ description: 'InsufficientDataActions.' }),
          },
          { error: 'must be a mapping with alarm, ok and insufficientData lists' },
        )
        .optional()
        .meta({ description: 'What to notify when the alarm enters each state.' }),
      tags: Tags.optional(),
    },
    { error: 'must be a mapping of alarm settings' },
  )
  .meta({ description: 'A CloudWatch metric alarm; the key is its name.' });

// ---- the file ---------------------------------------------------------------------------------------

export const TopologySchema = z
  .strictObject(
    {
      version: z
        .literal(1, { error: 'must be 1 (the only version of this format)' })
        .meta({ description: 'The format version: 1.' }),
      queues: z
        .record(QueueName, QueueSchema.nullable(), { error: 'must be a mapping of queue names to queues' })
        .optional()
        .meta({ description: 'SQS queues by name; a queue with every default can be given as name: (nothing) or {}.' }),
      buses: z
        .record(BusName, BusSchema.nullable(), { error: 'must be a mapping of bus names to buses' })
        .optional()
        .meta({ description: 'Custom event buses by name (the default bus always exists).' }),
      rules: z
        .record(RuleName, RuleSchema, { error: 'must be a mapping of rule names to rules' })
        .optional()
        .meta({ description: 'EventBridge rules by name.' }),
      alarms: z
        .record(AlarmName, AlarmSchema, { error: 'must be a mapping of alarm names to alarms' })
        .optional()
        .meta({ description: 'CloudWatch metric alarms by name.' }),
    },
    { error: 'must be a mapping: version, queues, buses, rules and alarms' },
  )
  .meta({
    title: 'switchyard.yaml',
    description:
      'A Switchyard topology: queues, event buses, rules with their targets, and alarms. See "Topology as code" in the README.',
  });

/** A topology file as written (before defaults and cross-reference checks). */
export type TopologyDocument = z.input<typeof TopologySchema>;
export type QueueDocument = z.output<typeof QueueSchema>;
export type BusDocument = z.output<typeof BusSchema>;
export type RuleDocument = z.output<typeof RuleSchema>;
export type TargetDocument = z.output<typeof TargetSchema>;
export type AlarmDocument = z.output<typeof AlarmSchema>;

/** The published JSON Schema (draft 2020-12) of `switchyard.yaml`, for editor completion and checks. */
export function topologyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(TopologySchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
