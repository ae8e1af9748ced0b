import type { RequestLog } from '../services/sqs-api.js';

/**
 * The resources a decoded request names, for its log line: read from the input the adapters hand to the
 * action tables, whatever the wire protocol, and only from members that are strings (the input is not
 * validated yet). A few property reads; lists (PutEvents entries, PutMetricData data) give at most
 * `MAX_LISTED` distinct names. SwitchyardIdempotency requests name no resource: their line says how many `keys`
 * they carry (the keys themselves can be long and are the application's business). SwitchyardFailures requests name
 * their queue and how many `entries` they carry.
 */

type Service = 'sqs' | 'events' | 'cloudwatch' | 'idempotency' | 'failures';
type Resource = Record<string, string>;

const MAX_LISTED = 5;
const BUS_ACTIONS = new Set(['CreateEventBus', 'DescribeEventBus', 'DeleteEventBus']);

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The last segment of a queue URL or ARN (`…/000000000000/orders`, `arn:aws:sqs:…:orders`). */
const lastSegment = (value: string, separator: string) => value.slice(value.lastIndexOf(separator) + 1);

/**
 * Distinct strings of a list (or of one member of its objects), at most MAX_LISTED of them and `…` when
 * there are more; `fallback` stands for an item without one.
 */
function listed(list: unknown, member?: string, fallback?: string): string | undefined {
  if (!Array.isArray(list)) return undefined;
  const names = new Set<string>();
  for (const item of list) {
    const name = text(member === undefined ? item : (item as Record<string, unknown> | null)?.[member]) ?? fallback;
    if (name === undefined || names.has(name)) continue;
    if (names.size === MAX_LISTED) return `${[...names].join(',')},…`;
    names.add(name);
  }
  return names.size > 0 ? [...names].join(',') : undefined;
}

function set(resource: Resource, key: string, value: string | undefined): void {
  if (value !== undefined) resource[key] = value;
}

export function requestResource(service: Service, action: string, input: unknown): Resource | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const i = input as Record<string, unknown>;
  const resource: Resource = {};
  if (service === 'sqs' || service === 'failures') {
    const url = text(i.QueueUrl);
    const arn = text(i.SourceArn);
    set(
      resource,
      'queue',
      url ? lastSegment(url, '/') : (text(i.QueueName) ?? (arn ? lastSegment(arn, ':') : undefined)),
    );
    if (service === 'failures' && Array.isArray(i.Entries)) set(resource, 'entries', String(i.Entries.length));
  } else if (service === 'events') {
    if (action === 'PutEvents') set(resource, 'bus', listed(i.Entries, 'EventBusName', 'default'));
    else if (BUS_ACTIONS.has(action)) set(resource, 'bus', text(i.Name));
    else {
      set(resource, 'bus', text(i.EventBusName));
      set(resource, 'rule', text(i.Rule) ?? text(i.Name));
    }
    set(resource, 'archive', text(i.ArchiveName));
    set(resource, 'replay', text(i.ReplayName));
    set(resource, 'arn', text(i.ResourceARN) ?? text(i.EventSourceArn));
  } else if (service === 'idempotency') {
    if (Array.isArray(i.Keys)) set(resource, 'keys', String(i.Keys.length));
  } else {
    set(resource, 'namespace', text(i.Namespace));
    set(resource, 'metric', text(i.MetricName) ?? listed(i.MetricData, 'MetricName'));
    set(resource, 'alarm', text(i.AlarmName) ?? listed(i.AlarmNames));
    set(resource, 'arn', text(i.ResourceARN));
  }
  return Object.keys(resource).length > 0 ? resource : undefined;
}

/** Tells the request's log line what the request names (nothing to do when there is no log line). */
export function noteResource(
  ctx: { log?: RequestLog | undefined },
  service: Service,
  action: string,
  input: unknown,
): void {
  if (ctx.log) ctx.log.resource = requestResource(service, action, input);
}
