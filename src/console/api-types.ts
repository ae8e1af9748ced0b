// The console's JSON API: what each route under /console/api/ answers. Types only, so that the front end
// (console/, built by Vite) imports them without pulling server code into the browser bundle.
//
// Conventions: times are epoch milliseconds; ages and rates are seconds and per second; every error is
// `ApiError` with the HTTP status of the AWS error it comes from (400 for bad input, 404 for what is not there).
// Every POST needs the session's CSRF token in the `x-switchyard-csrf` header (see `SessionInfo`).

/** An error answer. `code` is the AWS error code (QueueDoesNotExist, InvalidParameterValue…) or a console one. */
export interface ApiError {
  error: { code: string; message: string };
}

/** GET /console/api/session */
export interface SessionInfo {
  /** Whether this server asks for a login (it listens on something other than loopback). */
  authRequired: boolean;
  /** Whether this browser is logged in (always true when no login is required). */
  authenticated: boolean;
  /** A login is required but the server has no console token configured: nobody can log in. */
  locked: boolean;
  /** Send as `x-switchyard-csrf` with every POST; absent until authenticated. */
  csrfToken?: string;
  version: string;
  region: string;
  accountId: string;
}

/** POST /console/api/login  body `{ token }` → SessionInfo (and a session cookie); 401 ApiError when wrong. */
export interface LoginRequest {
  token: string;
}
/** POST /console/api/logout → `{ ok: true }` */

/** A [time, value] point of a chart. */
export type Point = [number, number];

export interface QueueSummary {
  name: string;
  url: string;
  arn: string;
  fifo: boolean;
  visible: number;
  inFlight: number;
  delayed: number;
  /** Age of the oldest message, null when empty. */
  oldestMessageAgeSeconds: number | null;
  /** NumberOfMessagesSent and NumberOfMessagesDeleted per second over the last 5 minutes. */
  sendRate: number;
  deleteRate: number;
  /** ApproximateNumberOfMessagesVisible, one point a minute, last 30 minutes (oldest first). */
  depth: Point[];
  /** This queue's dead-letter queue (RedrivePolicy), with its depth. */
  deadLetterQueue: { name: string; visible: number } | null;
  maxReceiveCount: number | null;
  /** Queues whose RedrivePolicy names this one: this is a DLQ when non-empty. */
  deadLetterSources: string[];
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmSummary {
  name: string;
  state: AlarmState;
  reason: string;
  updatedAt: number;
  namespace?: string;
  metricName?: string;
  dimensions: { name: string; value: string }[];
  statistic?: string;
  comparison: string;
  threshold?: number;
  period?: number;
  description?: string;
}

export interface BusSummary {
  name: string;
  arn: string;
  ruleCount: number;
  /** Events matched by a rule on this bus (MatchedEvents), per minute, last 30 minutes. */
  throughput: Point[];
  /** Events matched per second over the last 5 minutes. */
  matchedRate: number;
}

/** GET /console/api/overview (the console polls it) */
export interface Overview {
  now: number;
  queues: QueueSummary[];
  alarms: AlarmSummary[];
  buses: BusSummary[];
}

export interface MoveTask {
  taskHandle?: string;
  status: 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  sourceArn: string;
  destinationArn?: string;
  maxPerSecond?: number;
  moved: number;
  toMove: number;
  startedAt: number;
  failureReason?: string;
}

/** GET /console/api/queues/:name */
export interface QueueDetail extends QueueSummary {
  /** Every attribute GetQueueAttributes(All) gives. */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  /** Move tasks with this queue as source, newest first (a DLQ's redrives). */
  moveTasks: MoveTask[];
  /** Queues a console move may send to (every other queue of the account). */
  otherQueues: string[];
}

export interface PeekedMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  /** As ReceiveMessage returns MessageAttributes. */
  messageAttributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  /** As ReceiveMessage returns them with AttributeNames All (strings). */
  attributes: Record<string, string>;
  lastReceivedAt: number | null;
  visibleAt: number;
  state: 'visible' | 'in-flight' | 'delayed';
  /** Why it failed, when known: a target's dead-letter attributes, or what a consumer recorded. */
  failure?: {
    source: 'target' | 'consumer';
    code?: string;
    message: string;
    at?: number;
    count?: number;
    ruleArn?: string;
    targetArn?: string;
  };
  /** The EventBridge event this message carries, when it came from a rule (links to the trace). */
  eventId?: string;
}

/** GET /console/api/queues/:name/messages?limit=50&after=CURSOR  (…&download=1: every message, as an attachment) */
export interface MessagePage {
  messages: PeekedMessage[];
  nextCursor?: string;
}

/** POST /console/api/queues/:name/send → `{ messageId }` */
export interface SendRequest {
  body: string;
  delaySeconds?: number;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  /** String attributes only, from the console's form. */
  attributes?: Record<string, string>;
}

/** POST /console/api/queues/:name/purge  body `{ confirm: name }` → `{ ok: true }` */
export interface PurgeRequest {
  confirm: string;
}

/** POST /console/api/queues/:name/messages/delete → DeleteMessagesResult */
export interface DeleteMessagesRequest {
  messageIds: string[];
}

export interface DeleteMessagesResult {
  deleted: string[];
  notFound: string[];
}

/**
 * POST /console/api/queues/:name/messages/move → MoveMessagesResult. Without `destination`, each message goes back
 * to the queue it was dead-lettered from.
 */
export interface MoveMessagesRequest {
  messageIds: string[];
  destination?: string;
}

export interface MoveMessagesResult {
  /** Each moved message and its new id (a move makes a new message, as a redrive does). */
  moved: { messageId: string; newMessageId: string; destination: string }[];
  notFound: string[];
  /** Messages with no queue to go back to (no dead-letter source, or that queue is gone). */
  noDestination: string[];
}

/**
 * POST /console/api/queues/:name/redrive: every message of this DLQ, by a move task (StartMessageMoveTask) →
 * `{ taskHandle }`. Without `destination`, back to their sources.
 */
export interface RedriveRequest {
  destination?: string;
  maxPerSecond?: number;
}

/** POST /console/api/move-tasks/cancel  body `{ taskHandle }` → `{ moved }` */
export interface CancelMoveTaskRequest {
  taskHandle: string;
}

export interface TargetInfo {
  id: string;
  arn: string;
  kind: 'queue' | 'bus' | 'http' | 'other';
  /** The queue, bus or URL it names. */
  name: string;
  input?: string;
  inputPath?: string;
  inputTransformer?: { inputPathsMap?: Record<string, string>; inputTemplate: string };
  deadLetterArn?: string;
}

export interface RuleInfo {
  name: string;
  arn: string;
  bus: string;
  state: 'ENABLED' | 'DISABLED' | string;
  eventPattern?: string;
  scheduleExpression?: string;
  description?: string;
  targets: TargetInfo[];
  /** MatchedEvents and FailedInvocations over the last 24 hours. */
  matched: number;
  failed: number;
}

/** GET /console/api/buses */
export interface BusList {
  buses: (BusSummary & { description?: string; rules: RuleInfo[] })[];
}

/** POST /console/api/buses/:bus/rules/:rule/enable and …/disable → RuleInfo */

/**
 * POST /console/api/buses/:bus/test: body `{ event }`, an event as JSON text. An envelope field left out
 * (id, account, region, time, resources, version) is filled in as EventBridge would; `source`, `detail-type` and
 * `detail` are needed. Nothing is sent anywhere.
 */
export interface RuleTestRequest {
  event: string;
}

export interface RuleTestResult {
  /** The event as rules see it, with the filled-in envelope. */
  event: Record<string, unknown>;
  /** Rules of the bus that match, enabled or not (a disabled rule is shown, marked). */
  matches: {
    rule: string;
    state: string;
    targets: {
      id: string;
      arn: string;
      kind: TargetInfo['kind'];
      /** Exactly what the target would receive, after Input / InputPath / InputTransformer. */
      payload?: string;
      /** Why the target could not be given this event (an InputPath selecting nothing…). */
      error?: string;
    }[];
  }[];
  /** Rules with an event pattern that do not match (names only). */
  unmatched: string[];
}

export interface TraceStep {
  at: number;
  /** ingested, matched, invoked, received, deleted, dead-lettered, moved, delivered, delivery-failed… */
  step: string;
  detail: Record<string, unknown>;
}

/** GET /console/api/events/:eventId/trace */
export interface EventTrace {
  eventId: string;
  steps: TraceStep[];
}

/** GET /console/api/alarms → `{ alarms: AlarmSummary[] }`; GET /console/api/alarms/:name → AlarmDetail */
export interface AlarmDetail extends AlarmSummary {
  evaluationPeriods?: number;
  datapointsToAlarm?: number;
  treatMissingData?: string;
  actionsEnabled: boolean;
  alarmActions: string[];
  okActions: string[];
  history: { at: number; type: string; summary: string }[];
  /** The alarm's metric over the last 3 hours at its period and statistic (empty for metric-math alarms). */
  metric: Point[];
}

/**
 * GET /console/api/metrics?namespace=AWS/SQS&metric=NumberOfMessagesSent&dim.QueueName=orders&stat=Sum&period=60&range=3600
 * (range in seconds back from now, 300..1209600; period a multiple of 60, or 1/5/10/30; stat one of CloudWatch's).
 */
export interface MetricSeries {
  label: string;
  points: Point[];
}
