/**
 * IP addresses and CIDR blocks, read the way EventBridge reads them.
 *
 * Addresses are compared as bytes, not as text, so `2001:0db8:1234:1a00:0000:0000:0000:0000` is inside
 * `2001:db8:1234:1a00::/64`. This applies to plain string values too: a pattern value that is an IP literal
 * matches any spelling of the same address. A string counts as an address only if it has the shape
 * event-ruler checks first (four dotted decimal groups, or hex digits and colons) and then parses as Java's
 * InetAddress would: dotted groups are decimal even with leading zeros, each at most 255; IPv6 allows one
 * `::`; an IPv4-mapped IPv6 address (`::ffff:a00:1`) is the IPv4 address.
 */

const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;
const HEX_GROUP = /^[0-9a-fA-F]+$/;

/** A CIDR operand EventBridge refuses; the message is the reason AWS gives (it carries no JSON location). */
export class CidrError extends Error {}

export interface IpRange {
  /** First and last address of the block, inclusive; 4 bytes for IPv4, 16 for IPv6. */
  readonly lower: Uint8Array;
  readonly upper: Uint8Array;
}

function hasIpShape(text: string): boolean {
  return IPV4_SHAPE.test(text) || IPV6_SHAPE.test(text);
}

function parseIpv4(text: string): Uint8Array | undefined {
  // Java refuses a dotted literal longer than 15 characters before looking at its groups.
  if (text.length > 15) return undefined;
  const bytes = new Uint8Array(4);
  const groups = text.split('.');
  for (let i = 0; i < 4; i++) {
    const value = Number(groups[i]);
    if (!(value <= 255)) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

function parseIpv6Groups(part: string): number[] | undefined {
  if (part === '') return [];
  const groups: number[] = [];
  for (const piece of part.split(':')) {
    if (!HEX_GROUP.test(piece)) return undefined;
    const value = Number.parseInt(piece, 16);
    // Java counts the value, not the digits: 00001 is a valid group.
    if (value > 0xffff) return undefined;
    groups.push(value);
  }
  return groups;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseIpv6Groups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseIpv6Groups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const count = head.length + tail.length;
  if (halves.length === 2 ? count > 7 : count !== 8) return undefined;
  const groups = [...head, ...new Array<number>(8 - count).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

/** The address bytes of an IP literal, or undefined if the text is not one. */
export function parseIp(text: string): Uint8Array | undefined {
  if (IPV4_SHAPE.test(text)) return parseIpv4(text);
  if (IPV6_SHAPE.test(text)) return parseIpv6(text);
  return undefined;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

export function inRange(address: Uint8Array, range: IpRange): boolean {
  return (
    address.length === range.lower.length &&
    compareBytes(address, range.lower) >= 0 &&
    compareBytes(address, range.upper) <= 0
  );
}

/** Java's String.split: trailing empty pieces are dropped. */
function javaSplit(text: string, separator: string): string[] {
  const parts = text.split(separator);
  if (text === '') return parts;
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Java's Integer.parseInt on ASCII digits: an optional sign, digits, within 32 bits. */
function javaParseInt(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= -2147483648 && value <= 2147483647 ? value : undefined;
}

/**
 * The block a `cidr` operand covers, checked in event-ruler's order and with its messages. The host bits of
 * the address are ignored (`220.160.154.255/24` covers .0 to .255). A full-length mask is refused, as AWS
 * does: `/32` for IPv4, `/128` for IPv6.
 */
export function parseCidr(text: string): IpRange {
  const parts = javaSplit(text, '/');
  if (parts.length !== 2) throw new CidrError("Malformed CIDR, one '/' required");
  const address = parts[0] as string;
  const bits = javaParseInt(parts[1] as string);
  if (bits === undefined) throw new CidrError('Malformed CIDR, mask bits must be an integer');
  if (bits < 0) throw new CidrError('Malformed CIDR, mask bits must not be negative');
  if (!hasIpShape(address)) throw new CidrError(`Nonstandard IP address: ${address}`);
  const bytes = parseIp(address);
  if (!bytes) throw new CidrError(`Invalid IP address: ${address}`);
  if (bytes.length === 4 && bits > 31) throw new CidrError('IPv4 mask bits must be < 32');
  if (bytes.length === 16 && bits > 127) throw new CidrError('IPv6 mask bits must be < 128');
  const lower = new Uint8Array(bytes.length);
  const upper = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const fixed = Math.max(0, Math.min(8, bits - 8 * i));
    const mask = (0xff << (8 - fixed)) & 0xff;
    const b = bytes[i] as number;
    lower[i] = b & mask;
    upper[i] = (b & mask) | (~mask & 0xff);
  }
  return { lower, upper };
}
