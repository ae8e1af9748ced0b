// Typed events: a definition names an event kind (source and detail-type) and the zod schema of its `detail`, builds
// validated PutEvents entries for it, and turns what an SQS queue receives from an EventBridge rule back into a typed
// event. Works the same against AWS and Switchyard: it only builds and reads the AWS shapes.
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { z } from 'zod';
import { EnvelopeError, EventTypeMismatchError, EventValidationError } from './errors.js';

/** The optional members of a PutEvents entry that `entry` and `publish` take. */
export interface EntryOptions {
  /** The bus's name or ARN; EventBridge's `default` bus when absent. */
  eventBusName?: string;
  /** ARNs of the resources the event is about (the envelope's `resources`). */
  resources?: string[];
  /** The event's time; EventBridge uses the time it receives the event when absent. */
  time?: Date;
  /** An AWS X-Ray trace header. */
  traceHeader?: string;
}

/** An event as EventBridge delivers it, with its detail typed. */
export interface ReceivedEvent<T> {
  id: string;
  source: string;
  detailType: string;
  time: Date;
  account: string;
  region: string;
  resources: string[];
  detail: T;
}

/** The JSON envelope EventBridge delivers to an SQS target (when no input transformer or `InputPath` is set). */
export interface EventEnvelope {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
  [member: string]: unknown;
}

/**
 * What `parse` and `parseEnvelope` take: an SQS message body (the envelope's JSON text), an SQS message (its `Body`
 * is read), an envelope already parsed, or an event `parseEnvelope` returned.
 */
export type EventInput = string | { Body?: string } | EventEnvelope | ReceivedEvent<unknown>;

/** One kind of event. `T` is the detail's type once parsed, `I` what `entry` takes (they differ with zod defaults). */
export interface EventDefinition<T, I = T> {
  readonly source: string;
  readonly detailType: string;
  readonly schema: z.ZodType<T, I>;
  /** A PutEvents entry for `detail`, validated; throws EventValidationError when the detail does not match. */
  entry(detail: I, options?: EntryOptions): PutEventsRequestEntry;
  /**
   * The typed event in a message an SQS consumer received from an EventBridge rule target. Throws EnvelopeError if it
   * is no envelope, EventTypeMismatchError if it is another kind of event, EventValidationError if its detail does
   * not match the schema.
   */
  parse(input: EventInput): ReceivedEvent<T>;
  /** Whether the event is of this kind: same source and detail-type. */
  matches(event: EventEnvelope | ReceivedEvent<unknown>): boolean;
}

/** The schema of an EventBridge envelope; members EventBridge may add (such as `replay-name`) are kept. */
const envelopeSchema = z.looseObject({
  version: z.string(),
  id: z.string().min(1),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
});

function isReceivedEvent(value: object): value is ReceivedEvent<unknown> {
  return 'detailType' in value && 'time' in value && value.time instanceof Date;
}

/** Reads an untyped event from an SQS message body, message or envelope; throws EnvelopeError if it is none. */
export function parseEnvelope(input: EventInput): ReceivedEvent<unknown> {
  let value: unknown = input;
  if (typeof value === 'object' && value !== null && !('detail-type' in value) && 'Body' in value) {
    value = value.Body;
  }
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (error) {
      throw new EnvelopeError('The message body is not JSON', { cause: error });
    }
  }
  if (typeof value === 'object' && value !== null && isReceivedEvent(value)) return value;
  const parsed = envelopeSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const member = issue?.path.map(String).join('.') ?? '';
    throw new EnvelopeError(
      `The message is not an EventBridge event${member ? `: ${member}: ${issue?.message ?? ''}` : ''}`,
      { cause: parsed.error },
    );
  }
  const envelope = parsed.data;
  const time = new Date(envelope.time);
  if (Number.isNaN(time.getTime())) throw new EnvelopeError(`The event's time is not a timestamp: ${envelope.time}`);
  return {
    id: envelope.id,
    source: envelope.source,
    detailType: envelope['detail-type'],
    time,
    account: envelope.account,
    region: envelope.region,
    resources: envelope.resources,
    detail: envelope.detail,
  };
}

/** Defines a kind of event by its source, detail-type and the zod schema of its detail. */
export function defineEvent<T, I = T>(spec: {
  source: string;
  detailType: string;
  schema: z.ZodType<T, I>;
}): EventDefinition<T, I> {
  const { source, detailType, schema } = spec;

  const validate = (detail: unknown): T => {
    const result = schema.safeParse(detail);
    if (!result.success)
      throw new EventValidationError(source, detailType, result.error.issues, { cause: result.error });
    return result.data;
  };

  const matches = (event: EventEnvelope | ReceivedEvent<unknown>): boolean =>
    event.source === source && ('detailType' in event ? event.detailType : event['detail-type']) === detailType;

  return {
    source,
    detailType,
    schema,
    entry(detail, options = {}) {
      const entry: PutEventsRequestEntry = {
        Source: source,
        DetailType: detailType,
        // The parsed value: unknown members stripped and defaults applied, as the consumer's parse will see it.
        Detail: JSON.stringify(validate(detail)),
      };
      if (options.eventBusName !== undefined) entry.EventBusName = options.eventBusName;
      if (options.resources !== undefined) entry.Resources = options.resources;
      if (options.time !== undefined) entry.Time = options.time;
      if (options.traceHeader !== undefined) entry.TraceHeader = options.traceHeader;
      return entry;
    },
    parse(input) {
      const event = parseEnvelope(input);
      if (!matches(event)) {
        throw new EventTypeMismatchError(
          { source, detailType },
          { source: event.source, detailType: event.detailType },
        );
      }
      return { ...event, detail: validate(event.detail) };
    },
    matches,
  };
}
