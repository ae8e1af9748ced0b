import { createHash } from 'node:crypto';
import type { MessageAttributeValue } from './message.js';

/** Lower-case hex MD5 of the UTF-8 body, as the SDKs verify `MD5OfMessageBody` / `MD5OfBody`. */
export function md5OfBody(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

function lengthPrefixed(bytes: Buffer): Buffer[] {
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(bytes.length, 0);
  return [len, bytes];
}

/**
 * MD5 of message attributes by AWS's documented algorithm: names sorted, each as length-prefixed name,
 * length-prefixed full data type, a transport byte (1 string, 2 binary) and the length-prefixed value bytes.
 * Returns undefined when there are no attributes, since AWS then omits the field.
 */
export function md5OfMessageAttributes(
  attributes: Readonly<Record<string, MessageAttributeValue>>,
): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const attr = attributes[name] as MessageAttributeValue;
    parts.push(...lengthPrefixed(Buffer.from(name, 'utf8')));
    parts.push(...lengthPrefixed(Buffer.from(attr.DataType, 'utf8')));
    if (attr.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      parts.push(...lengthPrefixed(Buffer.from(attr.BinaryValue, 'base64')));
    } else {
      parts.push(Buffer.from([1]));
      parts.push(...lengthPrefixed(Buffer.from(attr.StringValue ?? '', 'utf8')));
    }
  }
  return createHash('md5').update(Buffer.concat(parts)).digest('hex');
}
