/**
 * A topology as an AWS CloudFormation template that deploys the same architecture on AWS.
 *
 * What maps one to one: queues (`AWS::SQS::Queue`, RedrivePolicy by `Fn::GetAtt`), buses (`AWS::Events::EventBus`),
 * rules with their targets (`AWS::Events::Rule`), alarms (`AWS::CloudWatch::Alarm`), and one `AWS::SQS::QueuePolicy`
 * per queue that something sends to (a queue has a single policy: a second QueuePolicy on it would replace the first).
 *
 * What AWS needs in between, which Switchyard does without:
 * - Alarm actions: CloudWatch alarms cannot notify a queue or a URL directly; they publish to SNS. Each queue or URL
 *   used as an alarm action gets an `AWS::SNS::Topic` and an `AWS::SNS::Subscription` (protocol `sqs` with raw
 *   message delivery, so the queue receives the alarm's JSON notification as Switchyard sends it; or `http`/`https`,
 *   whose endpoint must confirm the subscription), and the queue's policy lets that topic send.
 * - HTTP targets: EventBridge posts to URLs through an `AWS::Events::ApiDestination`, which needs an
 *   `AWS::Events::Connection` with credentials and a role EventBridge assumes. Each URL origin gets a Connection with
 *   API key authorization whose header name and value are template parameters (`Connection…ApiKeyName`,
 *   `Connection…ApiKeyValue`): placeholders to set when deploying. API destinations take HTTPS endpoints only.
 * - Bus targets: EventBridge sends to another bus with a role; the same role (`EventBridgeTargetRole`) is used.
 *
 * Logical ids are derived from the names (`Queue` + `OrdersDlq` for `orders-dlq`); names that would give the same id
 * get a hash of the name appended, so ids are stable whatever else the file declares.
 */
import { createHash } from 'node:crypto';
import {
  type AlarmAction,
  DEFAULT_BUS,
  type TargetDestination,
  type Topology,
  type TopologyAlarm,
  type TopologyQueue,
  type TopologyRule,
  type TopologyTarget,
} from './model.js';

export interface CloudFormationTemplate {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Metadata: { Switchyard: { Notes: string[] } };
  Parameters?: Record<string, CloudFormationParameter>;
  Resources: Record<string, CloudFormationResource>;
  Outputs: Record<string, CloudFormationOutput>;
}

export interface CloudFormationParameter {
  Type: 'String';
  Description: string;
  Default?: string;
  NoEcho?: boolean;
  MinLength?: number;
}

export interface CloudFormationResource {
  Type: string;
  Properties: Record<string, unknown>;
}

export interface CloudFormationOutput {
  Description: string;
  Value: unknown;
}

export interface CloudFormationOptions {
  /** The template's Description. @defaultValue 'Switchyard topology, exported by switchyard export cloudformation' */
  description?: string;
}

const ref = (logicalId: string) => ({ Ref: logicalId });
const getAtt = (logicalId: string, attribute: string) => ({ 'Fn::GetAtt': [logicalId, attribute] });
const DEFAULT_BUS_ARN = {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not a JS template
  'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default',
};
const TARGET_ROLE = 'EventBridgeTargetRole';

/** `orders-dlq` → `OrdersDlq`; only letters and digits survive. */
function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => (part[0] ?? '').toUpperCase() + part.slice(1))
    .join('');
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8).toUpperCase();
}

/**
 * Deterministic, collision-free logical ids: each request gets its base id unless another request (or an id
 * already taken) has the same one, in which case every contender gets `base + hash(key)`.
 */
class LogicalIds {
  private readonly ids = new Map<string, string>();
  private readonly taken = new Set<string>();

  allocate(requests: readonly { key: string; base: string }[]): void {
    const byBase = new Map<string, string[]>();
    for (const { key, base } of requests) {
      if (this.ids.has(key)) continue;
      const trimmed = base.slice(0, 200);
      byBase.set(trimmed, [...(byBase.get(trimmed) ?? []), key]);
    }
    for (const [base, keys] of byBase) {
      const unique = [...new Set(keys)];
      for (const key of unique) {
        const id = unique.length === 1 && !this.taken.has(base) ? base : `${base}${shortHash(key)}`;
        if (this.taken.has(id)) throw new Error(`logical id ${id} is taken twice`);
        this.taken.add(id);
        this.ids.set(key, id);
      }
    }
  }

  get(key: string): string {
    const id = this.ids.get(key);
    if (id === undefined) throw new Error(`no logical id for ${key}`);
    return id;
  }
}

const tagList = (tags: Readonly<Record<string, string>>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** `scheme://host[:port]` of a URL: one Connection (one set of credentials) per origin. */
const originOf = (url: string) => new URL(url).origin;

function actionKey(action: AlarmAction): string {
  return action.kind === 'queue' ? `queue:${action.queue}` : `url:${action.url}`;
}

function urlBase(url: string): string {
  const parsed = new URL(url);
  return pascal(`${parsed.hostname} ${parsed.pathname}`) || 'Url';
}

/** Every URL the rules' targets post to, in file order, without repeats. */
function targetUrls(topology: Topology): string[] {
  const urls = topology.rules.flatMap((rule) =>
    rule.targets.flatMap((t) => (t.destination.kind === 'url' ? [t.destination.url] : [])),
  );
  return [...new Set(urls)];
}

/** Every distinct alarm action, in file order. */
function alarmActions(topology: Topology): AlarmAction[] {
  const seen = new Map<string, AlarmAction>();
  for (const alarm of topology.alarms) {
    for (const action of [...alarm.actions.alarm, ...alarm.actions.ok, ...alarm.actions.insufficientData]) {
      seen.set(actionKey(action), seen.get(actionKey(action)) ?? action);
    }
  }
  return [...seen.values()];
}

/** What a deployment of the template on AWS needs to know that the template cannot say. */
export function cloudFormationNotes(topology: Topology): string[] {
  const notes: string[] = [];
  for (const rule of topology.rules) {
    for (const target of rule.targets) {
      const destination = target.destination;
      if (destination.kind === 'url' && !destination.url.startsWith('https://')) {
        notes.push(
          `rule ${rule.name}, target ${target.id}: ${destination.url} is not HTTPS; AWS API destinations take HTTPS endpoints only, so CloudFormation will refuse it until the URL is changed`,
        );
      }
    }
  }
  const origins = [...new Set(targetUrls(topology).map(originOf))];
  if (origins.length > 0) {
    notes.push(
      `HTTP targets post through API destinations with API key connections (${origins.join(', ')}): set the Connection…ApiKeyName and Connection…ApiKeyValue parameters when deploying`,
    );
  }
  const urlActions = alarmActions(topology).filter((a) => a.kind === 'url');
  if (urlActions.length > 0) {
    notes.push(
      'alarm actions to URLs are SNS http/https subscriptions: each endpoint must confirm its subscription (SNS sends a SubscriptionConfirmation) before it receives notifications, which arrive in SNS envelopes',
    );
  }
  return notes;
}

/** The CloudFormation template of a topology (see the module comment for what is added for AWS's sake). */
export function toCloudFormation(topology: Topology, options: CloudFormationOptions = {}): CloudFormationTemplate {
  const ids = new LogicalIds();
  const urls = targetUrls(topology);
  const origins = [...new Set(urls.map(originOf))];
  const actions = alarmActions(topology);
  const needsRole = topology.rules.some((rule) => rule.targets.some((t) => t.destination.kind !== 'queue'));

  ids.allocate([
    ...topology.queues.map((q) => ({ key: `queue:${q.name}`, base: `Queue${pascal(q.name)}` })),
    ...topology.queues.map((q) => ({ key: `queuePolicy:${q.name}`, base: `QueuePolicy${pascal(q.name)}` })),
    ...topology.buses.map((b) => ({ key: `bus:${b.name}`, base: `Bus${pascal(b.name)}` })),
    ...topology.rules.map((r) => ({ key: `rule:${r.name}`, base: `Rule${pascal(r.name)}` })),
    ...topology.alarms.map((a) => ({ key: `alarm:${a.name}`, base: `Alarm${pascal(a.name)}` })),
    ...actions.flatMap((a) => {
      const base = a.kind === 'queue' ? pascal(a.queue) : urlBase(a.url);
      return [
        { key: `alarmTopic:${actionKey(a)}`, base: `AlarmTopic${base}` },
        { key: `alarmSubscription:${actionKey(a)}`, base: `AlarmSubscription${base}` },
      ];
    }),
    ...origins.map((o) => ({ key: `connection:${o}`, base: `Connection${pascal(new URL(o).host)}` })),
    ...urls.map((u) => ({ key: `apiDestination:${u}`, base: `ApiDestination${urlBase(u)}` })),
    ...(needsRole ? [{ key: 'role', base: TARGET_ROLE }] : []),
  ]);
  // Parameters share the template's id space; they are named after their connection.
  ids.allocate(
    origins.flatMap((o) => [
      { key: `apiKeyName:${o}`, base: `${ids.get(`connection:${o}`)}ApiKeyName` },
      { key: `apiKeyValue:${o}`, base: `${ids.get(`connection:${o}`)}ApiKeyValue` },
    ]),
  );

  const resources: Record<string, CloudFormationResource> = {};
  const parameters: Record<string, CloudFormationParameter> = {};
  const queueId = (name: string) => ids.get(`queue:${name}`);
  const ruleId = (name: string) => ids.get(`rule:${name}`);
  const busArn = (name: string) => (name === DEFAULT_BUS ? DEFAULT_BUS_ARN : getAtt(ids.get(`bus:${name}`), 'Arn'));

  for (const queue of topology.queues) resources[queueId(queue.name)] = queueResource(queue, queueId);
  for (const bus of topology.buses) {
    resources[ids.get(`bus:${bus.name}`)] = {
      Type: 'AWS::Events::EventBus',
      Properties: {
        Name: bus.name,
        ...(bus.description !== undefined ? { Description: bus.description } : {}),
        ...(Object.keys(bus.tags).length > 0 ? { Tags: tagList(bus.tags) } : {}),
      },
    };
  }

  for (const origin of origins) {
    const connection = ids.get(`connection:${origin}`);
    const keyName = ids.get(`apiKeyName:${origin}`);
    const keyValue = ids.get(`apiKeyValue:${origin}`);
    parameters[keyName] = {
      Type: 'String',
      Description: `Name of the HTTP header that carries the API key sent to ${origin}`,
      Default: 'x-api-key',
      MinLength: 1,
    };
    parameters[keyValue] = {
      Type: 'String',
      Description: `API key sent to ${origin} with every delivery (a placeholder of this export: set it when deploying)`,
      NoEcho: true,
      MinLength: 1,
    };
    resources[connection] = {
      Type: 'AWS::Events::Connection',
      Properties: {
        Description: `Credentials for the HTTP targets at ${origin}`,
        AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: ref(keyName), ApiKeyValue: ref(keyValue) } },
      },
    };
  }
  for (const url of urls) {
    resources[ids.get(`apiDestination:${url}`)] = {
      Type: 'AWS::Events::ApiDestination',
      Properties: {
        ConnectionArn: getAtt(ids.get(`connection:${originOf(url)}`), 'Arn'),
        InvocationEndpoint: url,
        HttpMethod: 'POST',
      },
    };
  }
  if (needsRole) {
    const busTargets = [
      ...new Set(
        topology.rules.flatMap((r) =>
          r.targets.flatMap((t) => (t.destination.kind === 'bus' ? [t.destination.bus] : [])),
        ),
      ),
    ];
    const statements: unknown[] = [];
    if (urls.length > 0) {
      statements.push({
        Effect: 'Allow',
        Action: 'events:InvokeApiDestination',
        Resource: urls.map((u) => getAtt(ids.get(`apiDestination:${u}`), 'Arn')),
      });
    }
    if (busTargets.length > 0) {
      statements.push({ Effect: 'Allow', Action: 'events:PutEvents', Resource: busTargets.map(busArn) });
    }
    resources[ids.get('role')] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: 'Assumed by EventBridge to deliver to the event buses and API destinations of this topology',
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [
          { PolicyName: 'deliver-to-targets', PolicyDocument: { Version: '2012-10-17', Statement: statements } },
        ],
      },
    };
  }

  for (const rule of topology.rules) {
    resources[ruleId(rule.name)] = ruleResource(rule, {
      queueArn: (name) => getAtt(queueId(name), 'Arn'),
      busArn,
      busName: (name) => (name === DEFAULT_BUS ? DEFAULT_BUS : ref(ids.get(`bus:${name}`))),
      apiDestinationArn: (url) => getAtt(ids.get(`apiDestination:${url}`), 'Arn'),
      roleArn: () => getAtt(ids.get('role'), 'Arn'),
    });
  }

  for (const action of actions) {
    const topic = ids.get(`alarmTopic:${actionKey(action)}`);
    resources[topic] = {
      Type: 'AWS::SNS::Topic',
      Properties: {
        DisplayName:
          action.kind === 'queue' ? `Alarm notifications for queue ${action.queue}` : `Alarm notifications for a URL`,
      },
    };
    resources[ids.get(`alarmSubscription:${actionKey(action)}`)] = {
      Type: 'AWS::SNS::Subscription',
      Properties:
        action.kind === 'queue'
          ? {
              TopicArn: ref(topic),
              Protocol: 'sqs',
              Endpoint: getAtt(queueId(action.queue), 'Arn'),
              RawMessageDelivery: true,
            }
          : { TopicArn: ref(topic), Protocol: new URL(action.url).protocol.slice(0, -1), Endpoint: action.url },
    };
  }

  for (const queue of topology.queues) {
    const policy = queuePolicy(topology, queue, {
      queueId: queueId(queue.name),
      ruleArn: (name) => getAtt(ruleId(name), 'Arn'),
      topicArn: (q) => ref(ids.get(`alarmTopic:queue:${q}`)),
    });
    if (policy) resources[ids.get(`queuePolicy:${queue.name}`)] = policy;
  }

  for (const alarm of topology.alarms) {
    resources[ids.get(`alarm:${alarm.name}`)] = alarmResource(alarm, (a) => ref(ids.get(`alarmTopic:${actionKey(a)}`)));
  }

  const outputs: Record<string, CloudFormationOutput> = {};
  // Outputs get ids from the same space, so that no output is named like a resource.
  const outputIds = ids;
  outputIds.allocate([
    ...topology.queues.flatMap((q) => [
      { key: `output:url:${q.name}`, base: `${queueId(q.name)}Url` },
      { key: `output:arn:${q.name}`, base: `${queueId(q.name)}Arn` },
    ]),
    ...topology.buses.map((b) => ({ key: `output:bus:${b.name}`, base: `${ids.get(`bus:${b.name}`)}Arn` })),
  ]);
  for (const queue of topology.queues) {
    outputs[outputIds.get(`output:url:${queue.name}`)] = {
      Description: `URL of queue ${queue.name}`,
      Value: ref(queueId(queue.name)),
    };
    outputs[outputIds.get(`output:arn:${queue.name}`)] = {
      Description: `ARN of queue ${queue.name}`,
      Value: getAtt(queueId(queue.name), 'Arn'),
    };
  }
  for (const bus of topology.buses) {
    outputs[outputIds.get(`output:bus:${bus.name}`)] = {
      Description: `ARN of event bus ${bus.name}`,
      Value: getAtt(ids.get(`bus:${bus.name}`), 'Arn'),
    };
  }

  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: options.description ?? 'Switchyard topology, exported by switchyard export cloudformation',
    Metadata: { Switchyard: { Notes: cloudFormationNotes(topology) } },
    ...(Object.keys(parameters).length > 0 ? { Parameters: parameters } : {}),
    Resources: resources,
    Outputs: outputs,
  };
}

function queueResource(queue: TopologyQueue, queueId: (name: string) => string): CloudFormationResource {
  return {
    Type: 'AWS::SQS::Queue',
    Properties: {
      QueueName: queue.name,
      ...(queue.fifo
        ? {
            FifoQueue: true,
            ContentBasedDeduplication: queue.contentBasedDeduplication,
            DeduplicationScope: queue.deduplicationScope,
            FifoThroughputLimit: queue.fifoThroughputLimit,
          }
        : {}),
      DelaySeconds: queue.delaySeconds,
      MaximumMessageSize: queue.maximumMessageSize,
      MessageRetentionPeriod: queue.messageRetentionPeriod,
      ReceiveMessageWaitTimeSeconds: queue.receiveMessageWaitTimeSeconds,
      VisibilityTimeout: queue.visibilityTimeout,
      ...(queue.kmsMasterKeyId !== undefined
        ? { KmsMasterKeyId: queue.kmsMasterKeyId, KmsDataKeyReusePeriodSeconds: queue.kmsDataKeyReusePeriodSeconds }
        : {}),
      SqsManagedSseEnabled: queue.sqsManagedSseEnabled,
      ...(queue.deadLetter
        ? {
            RedrivePolicy: {
              deadLetterTargetArn: getAtt(queueId(queue.deadLetter.queue), 'Arn'),
              maxReceiveCount: queue.deadLetter.maxReceiveCount,
            },
          }
        : {}),
      ...(Object.keys(queue.tags).length > 0 ? { Tags: tagList(queue.tags) } : {}),
    },
  };
}

interface RuleRefs {
  queueArn(name: string): unknown;
  busArn(name: string): unknown;
  busName(name: string): unknown;
  apiDestinationArn(url: string): unknown;
  roleArn(): unknown;
}

function ruleResource(rule: TopologyRule, refs: RuleRefs): CloudFormationResource {
  return {
    Type: 'AWS::Events::Rule',
    Properties: {
      Name: rule.name,
      EventBusName: refs.busName(rule.bus),
      ...(rule.description !== undefined ? { Description: rule.description } : {}),
      State: rule.state,
      ...(rule.trigger.kind === 'pattern'
        ? { EventPattern: rule.trigger.pattern }
        : { ScheduleExpression: rule.trigger.expression }),
      Targets: rule.targets.map((target) => targetProperty(target, refs)),
      ...(Object.keys(rule.tags).length > 0 ? { Tags: tagList(rule.tags) } : {}),
    },
  };
}

function destinationProperties(destination: TargetDestination, refs: RuleRefs): Record<string, unknown> {
  switch (destination.kind) {
    case 'queue':
      return {
        Arn: refs.queueArn(destination.queue),
        ...(destination.messageGroupId !== undefined
          ? { SqsParameters: { MessageGroupId: destination.messageGroupId } }
          : {}),
      };
    case 'bus':
      return { Arn: refs.busArn(destination.bus), RoleArn: refs.roleArn() };
    case 'url': {
      const http = {
        ...(destination.headerParameters ? { HeaderParameters: destination.headerParameters } : {}),
        ...(destination.queryStringParameters ? { QueryStringParameters: destination.queryStringParameters } : {}),
      };
      return {
        Arn: refs.apiDestinationArn(destination.url),
        RoleArn: refs.roleArn(),
        ...(Object.keys(http).length > 0 ? { HttpParameters: http } : {}),
      };
    }
  }
}

function targetProperty(target: TopologyTarget, refs: RuleRefs): Record<string, unknown> {
  const input = target.input;
  return {
    Id: target.id,
    ...destinationProperties(target.destination, refs),
    ...(input.kind === 'constant' ? { Input: input.json } : {}),
    ...(input.kind === 'path' ? { InputPath: input.path } : {}),
    ...(input.kind === 'transformer'
      ? {
          InputTransformer: {
            ...(Object.keys(input.inputPathsMap).length > 0 ? { InputPathsMap: input.inputPathsMap } : {}),
            InputTemplate: input.inputTemplate,
          },
        }
      : {}),
    RetryPolicy: {
      MaximumRetryAttempts: target.retryPolicy.maximumRetryAttempts,
      MaximumEventAgeInSeconds: target.retryPolicy.maximumEventAgeInSeconds,
    },
    ...(target.deadLetterQueue !== undefined
      ? { DeadLetterConfig: { Arn: refs.queueArn(target.deadLetterQueue) } }
      : {}),
  };
}

/**
 * The queue's one policy: EventBridge may send from the rules that target it or use it as their targets' dead-letter
 * queue, and SNS from the alarm topic that notifies it. Undefined when nothing sends to it through AWS services.
 */
function queuePolicy(
  topology: Topology,
  queue: TopologyQueue,
  refs: { queueId: string; ruleArn(name: string): unknown; topicArn(queue: string): unknown },
): CloudFormationResource | undefined {
  const rules = topology.rules.filter((rule) =>
    rule.targets.some(
      (t) => (t.destination.kind === 'queue' && t.destination.queue === queue.name) || t.deadLetterQueue === queue.name,
    ),
  );
  const notified = topology.alarms.some((alarm) =>
    [...alarm.actions.alarm, ...alarm.actions.ok, ...alarm.actions.insufficientData].some(
      (a) => a.kind === 'queue' && a.queue === queue.name,
    ),
  );
  const resource = getAtt(refs.queueId, 'Arn');
  const statements: unknown[] = [];
  if (rules.length > 0) {
    statements.push({
      Sid: 'EventBridgeRules',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: resource,
      Condition: { ArnEquals: { 'aws:SourceArn': rules.map((r) => refs.ruleArn(r.name)) } },
    });
  }
  if (notified) {
    statements.push({
      Sid: 'AlarmNotifications',
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: resource,
      Condition: { ArnEquals: { 'aws:SourceArn': refs.topicArn(queue.name) } },
    });
  }
  if (statements.length === 0) return undefined;
  return {
    Type: 'AWS::SQS::QueuePolicy',
    Properties: {
      Queues: [ref(refs.queueId)],
      PolicyDocument: { Version: '2012-10-17', Statement: statements },
    },
  };
}

function alarmResource(alarm: TopologyAlarm, topicArn: (action: AlarmAction) => unknown): CloudFormationResource {
  const dimensions = Object.entries(alarm.dimensions).map(([Name, Value]) => ({ Name, Value }));
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: alarm.name,
      ...(alarm.description !== undefined ? { AlarmDescription: alarm.description } : {}),
      ActionsEnabled: alarm.actionsEnabled,
      Namespace: alarm.namespace,
      MetricName: alarm.metric,
      ...(dimensions.length > 0 ? { Dimensions: dimensions } : {}),
      ...(alarm.statistic !== undefined
        ? { Statistic: alarm.statistic }
        : { ExtendedStatistic: alarm.extendedStatistic }),
      Period: alarm.period,
      EvaluationPeriods: alarm.evaluationPeriods,
      DatapointsToAlarm: alarm.datapointsToAlarm,
      Threshold: alarm.threshold,
      ComparisonOperator: alarm.comparison,
      TreatMissingData: alarm.treatMissingData,
      ...(alarm.unit !== undefined ? { Unit: alarm.unit } : {}),
      ...(alarm.actions.alarm.length > 0 ? { AlarmActions: alarm.actions.alarm.map(topicArn) } : {}),
      ...(alarm.actions.ok.length > 0 ? { OKActions: alarm.actions.ok.map(topicArn) } : {}),
      ...(alarm.actions.insufficientData.length > 0
        ? { InsufficientDataActions: alarm.actions.insufficientData.map(topicArn) }
        : {}),
      ...(Object.keys(alarm.tags).length > 0 ? { Tags: tagList(alarm.tags) } : {}),
    },
  };
}
