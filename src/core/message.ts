import { AwsError, invalidParameter, missingParameter } from './errors.js';
import type { Limits } from './limits.js';

/** A message attribute as the wire carries it (binary values stay base64 text). */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
  StringListValues?: string[];
  BinaryListValues?: string[];
}

export type MessageAttributes = Record<string, MessageAttributeValue>;

/** Characters SQS accepts in bodies and string values: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF. */
const INVALID_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function hasInvalidCharacters(text: string): boolean {
  return INVALID_CHARACTER.test(text);
}

const INVALID_CONTENTS_MESSAGE =
  'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF';

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]+$/;
const DATA_TYPE = /^(String|Number|Binary)(\..+)?$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function validateAttributeName(name: string, kind: 'user' | 'system'): void {
  const bad = (reason: string) =>
    new AwsError('InvalidParameterValue', `Message (${kind}) attribute name '${name}' is invalid. ${reason}`);
  if (name.length === 0 || name.length > 256) throw bad('Attribute names must be 1 to 256 characters long.');
  if (!ATTRIBUTE_NAME.test(name)) {
    throw bad('Attribute names can only contain alphanumeric characters, hyphens, underscores and periods.');
  }
  if (/^(aws\.|amazon\.)/i.test(name)) throw bad("Attribute names cannot start with 'AWS.' or 'Amazon.'.");
  if (name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
    throw bad('Attribute names cannot start or end with a period or contain two periods in a row.');
  }
}

/** Checks a number the way SQS does: up to 38 significant digits, magnitude between 10^-128 and 10^126. */
function isValidNumber(text: string): boolean {
  const trimmed = text.trim();
  if (!NUMBER.test(trimmed)) return false;
  const [mantissa = '', exponentText] = trimmed.replace(/^[+-]/, '').split(/[eE]/);
  const digits = mantissa.replace('.', '').replace(/^0+/, '');
  if (digits.replace(/0+$/, '').length > 38) return false;
  if (digits.length === 0) return true;
  const intDigits = (mantissa.split('.')[0] ?? '').replace(/^0+/, '').length;
  const leadingFractionZeros = intDigits > 0 ? 0 : ((mantissa.split('.')[1] ?? '').match(/^0*/)?.[0].length ?? 0);
  const magnitude = (intDigits > 0 ? intDigits - 1 : -(leadingFractionZeros + 1)) + Number(exponentText ?? 0);
  return magnitude >= -128 && magnitude <= 126;
}

/** Bytes attributes count toward a message's size: each name, data type and value. */
export function attributesSize(attributes: MessageAttributes | undefined): number {
  let size = 0;
  for (const [name, attr] of Object.entries(attributes ?? {})) size += attributeSize(name, attr);
  return size;
}

function attributeSize(name: string, attr: MessageAttributeValue): number {
  const value =
    attr.BinaryValue !== undefined
      ? Buffer.from(attr.BinaryValue, 'base64').length
      : Buffer.byteLength(attr.StringValue ?? '', 'utf8');
  return Buffer.byteLength(name, 'utf8') + Buffer.byteLength(attr.DataType ?? '', 'utf8') + value;
}

/** Validates user message attributes; returns their size in bytes. */
export function validateMessageAttributes(attributes: MessageAttributes | undefined, limits: Limits): number {
  if (!attributes) return 0;
  const names = Object.keys(attributes);
  if (names.length > limits.maxMessageAttributes) {
    throw new AwsError(
      'InvalidParameterValue',
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${limits.maxMessageAttributes}].`,
    );
  }
  let size = 0;
  for (const name of names) {
    const attr = attributes[name] as MessageAttributeValue;
    validateAttributeName(name, 'user');
    validateAttributeValue(name, attr, 'user');
    size += attributeSize(name, attr);
  }
  return size;
}

function validateAttributeValue(name: string, attr: MessageAttributeValue, kind: 'user' | 'system'): void {
  const label = `Message (${kind}) attribute '${name}'`;
  if (typeof attr.DataType !== 'string' || attr.DataType.length === 0) {
    throw new AwsError(
      'InvalidParameterValue',
      `The message attribute '${name}' must contain non-empty message attribute type.`,
    );
  }
  if (attr.DataType.length > 256) {
    throw new AwsError('InvalidParameterValue', `${label} type must be at most 256 characters long.`);
  }
  const match = DATA_TYPE.exec(attr.DataType);
  if (!match) {
    throw new AwsError(
      'InvalidParameterValue',
      `The type of message (${kind}) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
    );
  }
  if (attr.StringListValues?.length || attr.BinaryListValues?.length) {
    throw new AwsError('InvalidParameterValue', `${label}: message attribute list values are not supported.`);
  }
  const base = match[1];
  if (base === 'Binary') {
    if (attr.BinaryValue === undefined || attr.BinaryValue.length === 0) {
      throw new AwsError('InvalidParameterValue', `${label} must contain a non-empty value of type 'Binary'.`);
    }
    if (attr.StringValue !== undefined) {
      throw new AwsError('InvalidParameterValue', `${label} of type 'Binary' must not have a StringValue.`);
    }
    return;
  }
  if (attr.StringValue === undefined || attr.StringValue.length === 0) {
    throw new AwsError('InvalidParameterValue', `${label} must contain a non-empty value of type '${base}'.`);
  }
  if (attr.BinaryValue !== undefined) {
    throw new AwsError('InvalidParameterValue', `${label} of type '${base}' must not have a BinaryValue.`);
  }
  if (hasInvalidCharacters(attr.StringValue)) {
    throw new AwsError('InvalidMessageContents', `${label} contains invalid characters. ${INVALID_CONTENTS_MESSAGE}`);
  }
  if (base === 'Number' && !isValidNumber(attr.StringValue)) {
    throw new AwsError(
      'InvalidParameterValue',
      `Can't cast the value of message (${kind}) attribute '${name}' to a number: ${attr.StringValue}. Numbers can have up to 38 digits of precision and range from 10^-128 to 10^+126.`,
    );
  }
}

/** The only system attribute a sender may set. */
export function validateMessageSystemAttributes(attributes: MessageAttributes | undefined): number {
  if (!attributes) return 0;
  let size = 0;
  for (const [name, attr] of Object.entries(attributes)) {
    if (name !== 'AWSTraceHeader') {
      throw new AwsError(
        'InvalidParameterValue',
        `Message system attribute name '${name}' is invalid. The only supported message system attribute is AWSTraceHeader.`,
      );
    }
    validateAttributeValue(name, attr, 'system');
    if (attr.DataType !== 'String') {
      throw new AwsError('InvalidParameterValue', `Message system attribute '${name}' must be of type 'String'.`);
    }
    size += attributeSize(name, attr);
  }
  return size;
}

export interface OutgoingMessage {
  MessageBody?: string | undefined;
  DelaySeconds?: number | undefined;
  MessageAttributes?: MessageAttributes | undefined;
  MessageSystemAttributes?: MessageAttributes | undefined;
}

/**
 * Validates one message for a queue whose `MaximumMessageSize` is `maxBytes`; returns its size in bytes.
 * Error messages follow AWS's wording, since users search for them; a batch entry's size error is worded
 * differently from a single send's, as AWS does.
 */
export function validateOutgoingMessage(
  message: OutgoingMessage,
  maxBytes: number,
  limits: Limits,
  context: 'single' | 'batch' = 'single',
): number {
  const body = message.MessageBody;
  if (body === undefined || body.length === 0) throw missingParameter('MessageBody');
  if (hasInvalidCharacters(body)) throw new AwsError('InvalidMessageContents', INVALID_CONTENTS_MESSAGE);
  if (message.DelaySeconds !== undefined && (message.DelaySeconds < 0 || message.DelaySeconds > 900)) {
    throw invalidParameter('DelaySeconds', message.DelaySeconds, 'DelaySeconds must be >= 0 and <= 900.');
  }
  const size =
    Buffer.byteLength(body, 'utf8') +
    validateMessageAttributes(message.MessageAttributes, limits) +
    validateMessageSystemAttributes(message.MessageSystemAttributes);
  if (size > maxBytes) {
    throw new AwsError(
      'InvalidParameterValue',
      `One or more parameters ${context === 'batch' ? 'cannot be validated' : 'are invalid'}. Reason: Message must be shorter than ${maxBytes} bytes.`,
    );
  }
  return size;
}
