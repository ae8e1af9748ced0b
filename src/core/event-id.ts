import { randomUUID } from 'node:crypto';

/**
 * A new EventBridge event id: a UUID, as AWS's are, of version 7 (RFC 9562): its first 48 bits are `timeMs`, the rest
 * random. Clients still see an opaque UUID; the server gets ids that sort by time, so that the event trace's index by
 * event id grows at its end. With random (version 4) ids each traced event landed on an index page of its own, a page
 * written per event: PutEvents throughput halved in the events benchmark (10 rules, durability full) once tracing was
 * on, against about a sixth with these ids.
 */
export function newEventId(timeMs: number): string {
  const time = Math.min(Math.max(0, Math.floor(timeMs)), 0xffff_ffff_ffff)
    .toString(16)
    .padStart(12, '0');
  // randomUUID draws from a cached entropy pool; its variant bits (the 17th hex digit) are those version 7 wants too.
  const random = randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15, 18)}-${random.slice(19)}`;
}
