/**
 * Typed errors with their AWS codes. Every error the server can answer is one of these; the protocol
 * adapters render them (JSON `__type` + `x-amzn-query-error`, or a Query XML `ErrorResponse`) from this
 * one table, so a code, its HTTP status and its legacy Query code never disagree between protocols.
 */

export interface AwsErrorSpec {
  /** Modelled shape name, the JSON `__type` suffix and the SDK's `err.name`. */
  readonly shape: string;
  /** Namespace of the JSON `__type` (modelled SQS errors live in `com.amazonaws.sqs`). */
  readonly namespace: string;
  /** The legacy AWS Query code, sent in `x-amzn-query-error` and in Query `<Code>`. */
  readonly queryCode: string;
  readonly status: number;
  readonly fault: 'Sender' | 'Receiver';
}

/** The spec builder of one JSON `__type` namespace. */
const inNamespace =
  (namespace: string) =>
  (shape: string, queryCode: string, status = 400, fault: 'Sender' | 'Receiver' = 'Sender'): AwsErrorSpec => ({
    shape,
    namespace,
    queryCode,
    status,
    fault,
  });

const sqs = inNamespace('com.amazonaws.sqs');
const coral = inNamespace('com.amazon.coral.service');
/** CloudWatch errors: AWS JSON 1.0, query-compatible (the legacy code rides in `x-amzn-query-error`). */
const cloudwatch = inNamespace('com.amazonaws.cloudwatch');
/** Input that breaks a constraint: AWS's generic coral validation error. */
const validate = inNamespace('com.amazon.coral.validate');
/** EventBridge errors: AWS JSON 1.1 without query compatibility renders `__type` as the bare shape. */
const events = (shape: string, status = 400, fault: 'Sender' | 'Receiver' = 'Sender'): AwsErrorSpec =>
  inNamespace('com.amazonaws.events')(shape, shape, status, fault);

/** The table from error code to wire details, as AWS SQS, EventBridge and CloudWatch answer them. */
export const ERROR_SPECS = {
  QueueDoesNotExist: sqs('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'),
  QueueNameExists: sqs('QueueNameExists', 'QueueAlreadyExists'),
  QueueDeletedRecently: sqs('QueueDeletedRecently', 'AWS.SimpleQueueService.QueueDeletedRecently'),
  PurgeQueueInProgress: sqs('PurgeQueueInProgress', 'AWS.SimpleQueueService.PurgeQueueInProgress', 403),
  ReceiptHandleIsInvalid: sqs('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', 404),
  MessageNotInflight: sqs('MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight'),
  TooManyEntriesInBatchRequest: sqs(
    'TooManyEntriesInBatchRequest',
    'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  ),
  EmptyBatchRequest: sqs('EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest'),
  BatchEntryIdsNotDistinct: sqs('BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct'),
  BatchRequestTooLong: sqs('BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong'),
  InvalidBatchEntryId: sqs('InvalidBatchEntryId', 'AWS.SimpleQueueService.InvalidBatchEntryId'),
  UnsupportedOperation: sqs('UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation'),
  OverLimit: sqs('OverLimit', 'OverLimit', 403),
  InvalidAttributeName: sqs('InvalidAttributeName', 'InvalidAttributeName'),
  InvalidAttributeValue: sqs('InvalidAttributeValue', 'InvalidAttributeValue'),
  InvalidMessageContents: sqs('InvalidMessageContents', 'InvalidMessageContents'),
  InvalidIdFormat: sqs('InvalidIdFormat', 'InvalidIdFormat'),
  ResourceNotFoundException: sqs('ResourceNotFoundException', 'ResourceNotFoundException', 404),
  InvalidParameterValue: coral('InvalidParameterValueException', 'InvalidParameterValue'),
  MissingParameter: coral('MissingRequiredParameterException', 'MissingParameter'),
  InvalidAction: coral('InvalidAction', 'InvalidAction'),
  UnknownOperation: coral('UnknownOperationException', 'InvalidAction'),
  SerializationException: coral('SerializationException', 'MalformedInput'),
  RequestEntityTooLarge: coral('RequestEntityTooLarge', 'RequestEntityTooLarge', 413),
  ServiceUnavailable: coral('ServiceUnavailable', 'ServiceUnavailable', 503, 'Receiver'),
  InternalFailure: coral('InternalFailure', 'InternalFailure', 500, 'Receiver'),
  EventsResourceNotFound: events('ResourceNotFoundException'),
  EventsResourceAlreadyExists: events('ResourceAlreadyExistsException'),
  EventsValidation: events('ValidationException'),
  EventsInvalidEventPattern: events('InvalidEventPatternException'),
  EventsLimitExceeded: events('LimitExceededException'),
  EventsConcurrentModification: events('ConcurrentModificationException'),
  EventsIllegalStatus: events('IllegalStatusException'),
  EventsInternal: events('InternalException', 500, 'Receiver'),
  CloudWatchInvalidParameterValue: cloudwatch('InvalidParameterValueException', 'InvalidParameterValue'),
  CloudWatchMissingParameter: cloudwatch('MissingRequiredParameterException', 'MissingParameter'),
  CloudWatchInvalidParameterCombination: cloudwatch(
    'InvalidParameterCombinationException',
    'InvalidParameterCombination',
  ),
  CloudWatchInvalidNextToken: cloudwatch('InvalidNextToken', 'InvalidNextToken'),
  CloudWatchResourceNotFound: cloudwatch('ResourceNotFound', 'ResourceNotFound', 404),
  /** The tagging APIs' unknown resource (a modelled shape of its own, unlike SetAlarmState's ResourceNotFound). */
  CloudWatchResourceNotFoundException: cloudwatch('ResourceNotFoundException', 'ResourceNotFoundException', 404),
  CloudWatchLimitExceeded: cloudwatch('LimitExceededFault', 'LimitExceeded'),
  /** SetAlarmState's StateReasonData that is not JSON. */
  CloudWatchInvalidFormat: cloudwatch('InvalidFormatFault', 'InvalidFormat'),
  /** Input that breaks a rule the model cannot express (GetMetricData's query Ids and expressions, say). */
  CloudWatchValidation: validate('ValidationException', 'ValidationError'),
  /** Input of a Switchyard extension API (SwitchyardIdempotency) that breaks a constraint. */
  Validation: validate('ValidationException', 'ValidationError'),
} as const satisfies Record<string, AwsErrorSpec>;

export type AwsErrorCode = keyof typeof ERROR_SPECS;

/** An error that reaches the caller as an AWS error response. */
export class AwsError extends Error {
  override readonly name: string;
  readonly code: AwsErrorCode;
  readonly spec: AwsErrorSpec;

  constructor(code: AwsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.spec = ERROR_SPECS[code];
    this.name = this.spec.shape;
  }
}

export const isAwsError = (e: unknown): e is AwsError => e instanceof AwsError;

/** `Value X for parameter Y is invalid. Reason: Z` — AWS's wording for most parameter errors. */
export function invalidParameter(parameter: string, value: unknown, reason: string): AwsError {
  return new AwsError(
    'InvalidParameterValue',
    `Value ${String(value)} for parameter ${parameter} is invalid. Reason: ${reason}`,
  );
}

export function missingParameter(parameter: string): AwsError {
  return new AwsError('MissingParameter', `The request must contain the parameter ${parameter}.`);
}

export function queueDoesNotExist(): AwsError {
  return new AwsError('QueueDoesNotExist', 'The specified queue does not exist.');
}
