import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newEventId } from '../../src/core/event-id.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('an event id is a version 7 UUID carrying its time in its first 48 bits', () => {
  const at = Date.UTC(2026, 0, 1, 12, 30, 15, 123);
  const id = newEventId(at);
  assert.match(id, UUID_V7);
  assert.equal(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16), at);
});

test('ids sort by time, and ids of the same millisecond differ', () => {
  const t = Date.UTC(2026, 0, 1);
  const ids = [newEventId(t), newEventId(t + 1), newEventId(t + 1000), newEventId(t + 86_400_000)];
  assert.deepEqual([...ids].sort(), ids);
  const same = new Set(Array.from({ length: 1000 }, () => newEventId(t)));
  assert.equal(same.size, 1000);
});

test('a time out of the 48-bit range is clamped, never malformed', () => {
  assert.match(newEventId(-5), UUID_V7);
  assert.ok(newEventId(-5).startsWith('00000000-0000-7'));
  assert.match(newEventId(2 ** 60), UUID_V7);
  assert.match(newEventId(1.5), UUID_V7);
});
