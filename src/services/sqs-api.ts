/**
 * Inputs and outputs of the SQS service, shaped like the AWS API (same member names), so that every
 * protocol adapter only has to move fields between the wire and these objects.
 */
import type { MessageAttributes } from '../core/message.js';

/** Who is calling and how to name queues back to them. */
export interface RequestContext {
  accountId: string;
  region: string;
  /** `http://host:port` as the client reached us; queue URLs are built on it. */
  baseUrl: string;
  /** Reported as the `SenderId` system attribute. */
  senderId: string;
  /** Aborted when the client goes away: ends a long poll early. */
  signal?: AbortSignal | undefined;
  /** The request's log line, which the protocol layer tells what the request names. @defaultValue none */
  log?: RequestLog | undefined;
}

/** What the request log line says of a request beyond its action and outcome. */
export interface RequestLog {
  /** The resources the request names, by kind: `queue`, `bus`, `rule`, `namespace`, `metric`, `alarm`… */
  resource?: Readonly<Record<string, string>> | undefined;
}

export interface CreateQueueInput {
  QueueName: string;
  Attributes?: Record<string, string> | undefined;
  tags?: Record<string, string> | undefined;
}
export interface QueueUrlInput {
  QueueUrl: string;
}
export interface GetQueueUrlInput {
  QueueName: string;
  QueueOwnerAWSAccountId?: string | undefined;
}
export interface ListQueuesInput {
  QueueNamePrefix?: string | undefined;
  NextToken?: string | undefined;
  MaxResults?: number | undefined;
}
export interface ListDeadLetterSourceQueuesInput extends QueueUrlInput {
  NextToken?: string | undefined;
  MaxResults?: number | undefined;
}
export interface GetQueueAttributesInput extends QueueUrlInput {
  AttributeNames?: string[] | undefined;
}
export interface SetQueueAttributesInput extends QueueUrlInput {
  Attributes: Record<string, string>;
}
export interface TagQueueInput extends QueueUrlInput {
  Tags: Record<string, string>;
}
export interface UntagQueueInput extends QueueUrlInput {
  TagKeys: string[];
}

export interface MessageFields {
  MessageBody: string;
  DelaySeconds?: number | undefined;
  MessageAttributes?: MessageAttributes | undefined;
  MessageSystemAttributes?: MessageAttributes | undefined;
  MessageDeduplicationId?: string | undefined;
  MessageGroupId?: string | undefined;
}
export interface SendMessageInput extends QueueUrlInput, MessageFields {}
export interface SendMessageOutput {
  MessageId: string;
  MD5OfMessageBody: string;
  MD5OfMessageAttributes?: string | undefined;
  MD5OfMessageSystemAttributes?: string | undefined;
  SequenceNumber?: string | undefined;
}
export interface SendMessageBatchInput extends QueueUrlInput {
  Entries: (MessageFields & { Id: string })[];
}
export interface BatchResultErrorEntry {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message?: string | undefined;
}
export interface BatchOutput<T> {
  Successful: T[];
  Failed: BatchResultErrorEntry[];
}

export interface ReceiveMessageInput extends QueueUrlInput {
  AttributeNames?: string[] | undefined;
  MessageSystemAttributeNames?: string[] | undefined;
  MessageAttributeNames?: string[] | undefined;
  MaxNumberOfMessages?: number | undefined;
  VisibilityTimeout?: number | undefined;
  WaitTimeSeconds?: number | undefined;
  ReceiveRequestAttemptId?: string | undefined;
}
export interface ReceivedMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  Attributes?: Record<string, string> | undefined;
  MD5OfMessageAttributes?: string | undefined;
  MessageAttributes?: MessageAttributes | undefined;
}

export interface DeleteMessageInput extends QueueUrlInput {
  ReceiptHandle: string;
}
export interface DeleteMessageBatchInput extends QueueUrlInput {
  Entries: { Id: string; ReceiptHandle: string }[];
}
export interface ChangeMessageVisibilityInput extends QueueUrlInput {
  ReceiptHandle: string;
  VisibilityTimeout: number;
}
export interface ChangeMessageVisibilityBatchInput extends QueueUrlInput {
  Entries: { Id: string; ReceiptHandle: string; VisibilityTimeout?: number | undefined }[];
}
export interface AddPermissionInput extends QueueUrlInput {
  Label: string;
  AWSAccountIds: string[];
  Actions: string[];
}
export interface RemovePermissionInput extends QueueUrlInput {
  Label: string;
}
