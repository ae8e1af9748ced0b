import { AwsError, invalidParameter } from './errors.js';
import { isValidAccountId } from './names.js';

/** AddPermission labels: up to 80 alphanumerics, hyphens and underscores. */
const LABEL = /^[A-Za-z0-9_-]{1,80}$/;

/** The actions AddPermission may grant; `*` grants all. */
const GRANTABLE = new Set([
  '*',
  'SendMessage',
  'ReceiveMessage',
  'DeleteMessage',
  'ChangeMessageVisibility',
  'GetQueueAttributes',
  'GetQueueUrl',
  'ListDeadLetterSourceQueues',
  'PurgeQueue',
  'ListQueueTags',
]);

interface PolicyDocument {
  Version: string;
  Id?: string;
  Statement: { Sid?: string; [key: string]: unknown }[];
}

function parsePolicy(raw: string | undefined, queueArn: string): PolicyDocument {
  if (!raw) return { Version: '2012-10-17', Id: `${queueArn}/SQSDefaultPolicy`, Statement: [] };
  const parsed = JSON.parse(raw) as Partial<PolicyDocument>;
  const statements =
    parsed.Statement === undefined ? [] : Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  return { ...parsed, Version: parsed.Version ?? '2012-10-17', Statement: statements };
}

/**
 * The queue policy after AddPermission: one statement per label granting `SQS:<action>` to each account's
 * root principal. AWS allows at most seven actions per statement.
 */
export function addPolicyStatement(
  current: string | undefined,
  queueArn: string,
  label: string,
  accountIds: readonly string[],
  actions: readonly string[],
): string {
  if (!LABEL.test(label)) {
    throw invalidParameter(
      'Label',
      label,
      'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.',
    );
  }
  for (const id of accountIds) {
    if (!isValidAccountId(id)) throw invalidParameter('AWSAccountId', id, 'Must be a 12-digit account id.');
  }
  if (actions.length > 7) {
    throw new AwsError('OverLimit', `${actions.length} Actions were found, maximum allowed is 7.`);
  }
  for (const action of actions) {
    if (!GRANTABLE.has(action))
      throw invalidParameter('ActionName', action, 'Please refer to the appropriate WSDL for a list of valid actions.');
  }
  const policy = parsePolicy(current, queueArn);
  if (policy.Statement.some((s) => s.Sid === label)) throw invalidParameter('Label', label, 'Already exists.');
  const principals = accountIds.map((id) => `arn:aws:iam::${id}:root`);
  policy.Statement.push({
    Sid: label,
    Effect: 'Allow',
    Principal: { AWS: principals.length === 1 ? principals[0] : principals },
    Action: actions.length === 1 ? `SQS:${actions[0]}` : actions.map((a) => `SQS:${a}`),
    Resource: queueArn,
  });
  return JSON.stringify(policy);
}

/** The queue policy after RemovePermission; undefined when no statement is left. */
export function removePolicyStatement(current: string | undefined, label: string): string | undefined {
  const policy = current ? (JSON.parse(current) as PolicyDocument) : undefined;
  const statements = policy ? (Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement]) : [];
  if (!policy || !statements.some((s) => s.Sid === label)) {
    throw invalidParameter('Label', label, "can't find label.");
  }
  const rest = statements.filter((s) => s.Sid !== label);
  return rest.length === 0 ? undefined : JSON.stringify({ ...policy, Statement: rest });
}
