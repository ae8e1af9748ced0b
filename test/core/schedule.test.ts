// EventBridge rule ScheduleExpression parsing and fire times. Rules and examples: AWS's "Cron expressions reference"
// and "Rate expressions reference" (EventBridge user guide); Quartz behaviour where those pages are silent.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type CronSchedule,
  isValidScheduleExpression,
  matches,
  nextFireTime,
  parseScheduleExpression,
  ScheduleExpressionError,
} from '../../src/core/schedule.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function cron(text: string): CronSchedule {
  const schedule = parseScheduleExpression(text);
  assert.equal(schedule.kind, 'cron');
  return schedule as CronSchedule;
}

/** The next `count` fire times after `after`, following one another, as ISO strings (undefined ends the list). */
function fires(text: string, after: string, count: number): (string | undefined)[] {
  const schedule = parseScheduleExpression(text);
  const out: (string | undefined)[] = [];
  let t: number | undefined = at(after);
  for (let i = 0; i < count && t !== undefined; i++) {
    t = nextFireTime(schedule, t, 0);
    out.push(iso(t));
  }
  return out;
}

const next = (text: string, after: string) => iso(nextFireTime(parseScheduleExpression(text), at(after), 0));

describe('validity', () => {
  test('accepts rate expressions with a positive value and a matching singular or plural unit', () => {
    for (const text of [
      'rate(1 minute)',
      'rate(5 minutes)',
      'rate(1 hour)',
      'rate(12 hours)',
      'rate(1 day)',
      'rate(365 days)',
      'rate(100000 minutes)',
    ]) {
      assert.ok(isValidScheduleExpression(text), text);
    }
  });

  test('rejects malformed rates and unit/value mismatches', () => {
    for (const text of [
      '',
      'rate',
      'rate()',
      'rate(5)',
      'rate(minutes)',
      'rate(0 minutes)',
      'rate(0 minute)',
      'rate(1 minutes)',
      'rate(1 hours)',
      'rate(1 days)',
      'rate(5 minute)',
      'rate(5 hour)',
      'rate(2 day)',
      'rate(-1 minutes)',
      'rate(1.5 hours)',
      'rate(5 seconds)',
      'rate(5 weeks)',
      'rate(5minutes)',
      'rate(5  minutes)',
      'rate( 5 minutes)',
      'rate(5 minutes )',
      'rate(5 minutes',
      'rate 5 minutes',
      'rate(5 Minutes)',
      'rate(99999999999999999999 days)',
      ' rate(5 minutes)',
      'rate(5 minutes) ',
      'every 5 minutes',
    ]) {
      assert.equal(isValidScheduleExpression(text), false, text);
    }
  });

  test('accepts the documented cron forms', () => {
    for (const text of [
      'cron(0 10 * * ? *)',
      'cron(15 12 * * ? *)',
      'cron(0 18 ? * MON-FRI *)',
      'cron(0 8 1 * ? *)',
      'cron(0/15 * * * ? *)',
      'cron(0/10 * ? * MON-FRI *)',
      'cron(0/5 8-17 ? * MON-FRI *)',
      'cron(0 9 ? * 2#1 *)',
      'cron(1/10 * * * ? *)',
      'cron(*/5 * * * ? *)',
      'cron(10-40/10 * * * ? *)',
      'cron(0 0 1,15 JAN,FEB,MAR ? 2024-2026)',
      'cron(0 0 1-15 * ? *)',
      'cron(0 0 1/5 * ? *)',
      'cron(0 0 * 1/3 ? */4)',
      'cron(0 0 L 2 ? 2028)',
      'cron(0 0 ? * 6L *)',
      'cron(0 0 ? * FRIL *)',
      'cron(0 0 ? * L *)',
      'cron(0 0 3W * ? *)',
      'cron(0 0 ? * 3#2 *)',
      'cron(0 0 ? * SUN#5 *)',
      'cron(0 0 1 1 ? 1970)',
      'cron(59 23 31 12 ? 2199)',
      'cron(0 0 ? * * *)',
      'cron(0 0 * * ? *)',
    ]) {
      assert.ok(isValidScheduleExpression(text), text);
    }
  });

  test('accepts Quartz forms the AWS page does not list: wrapping ranges, LW, L-n, day-of-week steps', () => {
    for (const text of [
      'cron(0 22-2 * * ? *)',
      'cron(50-10 * * * ? *)',
      'cron(0 0 ? * FRI-MON *)',
      'cron(0 0 25-5 NOV-FEB ? *)',
      'cron(0 0 LW * ? *)',
      'cron(0 0 L-3 * ? *)',
      'cron(0 0 L-0 * ? *)',
      'cron(0 0 ? * */2 *)',
      'cron(0 0 ? * MON/2 *)',
    ]) {
      assert.ok(isValidScheduleExpression(text), text);
    }
  });

  test('names, L and W are case-insensitive', () => {
    for (const text of [
      'cron(0 0 ? jan-mar mon,wed,fri *)',
      'cron(0 0 ? Jan Fri#2 *)',
      'cron(0 0 l * ? *)',
      'cron(0 0 lw * ? *)',
      'cron(0 0 15w * ? *)',
      'cron(0 0 ? * fril *)',
    ]) {
      assert.ok(isValidScheduleExpression(text), text);
    }
    assert.deepEqual(cron('cron(0 0 ? jan-mar mon,wed,fri *)').days, { kind: 'daysOfWeek', days: [2, 4, 6] });
  });

  test('rejects wrong field counts and empty or badly separated fields', () => {
    for (const text of [
      'cron()',
      'cron(0 10 * * ?)',
      'cron(0 10 * * ? * *)',
      'cron(0 0 10 * * ? *)',
      'cron(0 10 * * ? * )',
      'cron( 0 10 * * ? *)',
      'cron(0  10 * * ? *)',
      'cron(0 10 * * ? *',
      'cron 0 10 * * ? *',
      'cron(0 10 * * ? *))',
      'cron(0\t10 * * ? *)',
    ]) {
      assert.equal(isValidScheduleExpression(text), false, text);
    }
  });

  test('exactly one of day-of-month and day-of-week must be ?', () => {
    for (const text of [
      'cron(0 10 * * * *)',
      'cron(0 10 ? * ? *)',
      'cron(0 10 1 * MON *)',
      'cron(0 10 L * 6L *)',
      'cron(0 10 1 * 2#1 *)',
    ]) {
      assert.equal(isValidScheduleExpression(text), false, text);
    }
  });

  test('rejects out-of-range values', () => {
    for (const text of [
      'cron(60 10 * * ? *)',
      'cron(0 24 * * ? *)',
      'cron(0 10 0 * ? *)',
      'cron(0 10 32 * ? *)',
      'cron(0 10 * 0 ? *)',
      'cron(0 10 * 13 ? *)',
      'cron(0 10 ? * 0 *)',
      'cron(0 10 ? * 8 *)',
      'cron(0 10 * * ? 1969)',
      'cron(0 10 * * ? 2200)',
      'cron(0-60 10 * * ? *)',
      'cron(0 10 * * ? 2020-2200)',
      'cron(0 10 ? * 2#0 *)',
      'cron(0 10 ? * 2#6 *)',
      'cron(0 10 ? * 8#1 *)',
      'cron(0 10 ? * 0L *)',
      'cron(0 10 ? * 8L *)',
      'cron(0 10 0W * ? *)',
      'cron(0 10 32W * ? *)',
      'cron(0 10 L-31 * ? *)',
    ]) {
      assert.equal(isValidScheduleExpression(text), false, text);
    }
  });

  test('rejects wildcards outside the fields that allow them', () => {
    for (const text of [
      'cron(? 10 * * ? *)',
      'cron(0 ? * * ? *)',
      'cron(0 10 * ? ? *)',
      'cron(0 10 * * ? ?)',
      'cron(L 10 * * ? *)',
      'cron(0 L * * ? *)',
      'cron(0 10 * L ? *)',
      'cron(0 10 * * ? L)',
      'cron(0 10 ? * 2W *)',
      'cron(0 10 2#1 * ? *)',
      'cron(0 10 ? * L-2 *)',
      'cron(0 10 W * ? *)',
      'cron(1W 10 * * ? *)',
      'cron(0 10 * 1#1 ? *)',
    ]) {
      assert.equal(isValidScheduleExpression(text), false, text);
    }
  });

  test('L, W and # forms stand alone in their field', () => {
    for (const text of [
      'cron(0 10 ? * 3#1,6#3 *)',
      'cron(0 10 ? * 2,6L *)',
      'cron(0 10 ? * 2#1-3 *)',
      'cron(0 10 1,L * ? *)',
      'cron(0 10 1W,15 * ? *)',
      'cron(0 10 1-5W * ? *)',
      'cron(0 10 LW-1 * ? *)',
      'cron(0 10 ? * #1 *)',
      'cron(0 10 ? * 2# *)',
    ]) {
      assert.equal(isValidScheduleExpression(text), false, text);
    }
  });

  test('rejects malformed tokens, increments and names', () => {
    for (const text of [
      'cron(0/0 * * * ? *)',
      'cron(0/60 * * * ? *)',
      'cron(0 0/24 * * ? *)',
      'cron(0 0 ? * 1/8 *)',
      'cron(*/ * * * ? *)',
      'cron(/5 * * * ? *)',
      'cron(0/5/5 * * * ? *)',
      'cron(0/x * * * ? *)',
      'cron(1-2-3 * * * ? *)',
      'cron(-1 * * * ? *)',
      'cron(1- * * * ? *)',
      'cron(, * * * ? *)',
      'cron(1,,2 * * * ? *)',
      'cron(1, * * * ? *)',
      'cron(+1 * * * ? *)',
      'cron(1.5 * * * ? *)',
      'cron(a * * * ? *)',
      'cron(** * * * ? *)',
      'cron(0 10 * JANUARY ? *)',
      'cron(0 10 ? * MONDAY *)',
      'cron(0 10 * MON ? *)',
      'cron(0 10 ? * JAN *)',
      'cron(0 10 MON * ? *)',
      'cron(0 10 * * ? 2030-2020)',
    ]) {
      assert.equal(isValidScheduleExpression(text), false, text);
    }
  });

  test('invalid expressions throw ScheduleExpressionError with the AWS message and a reason', () => {
    for (const text of ['rate(1 minutes)', 'cron(0 10 * * * *)', 'cron(60 10 * * ? *)', 'nope']) {
      assert.throws(
        () => parseScheduleExpression(text),
        (e: unknown) => {
          assert.ok(e instanceof ScheduleExpressionError, text);
          assert.ok(e instanceof Error);
          assert.equal(e.name, 'ScheduleExpressionError');
          assert.equal(e.message, 'Parameter ScheduleExpression is not valid.');
          assert.ok(e.reason.length > 0);
          return true;
        },
      );
    }
    assert.throws(
      () => parseScheduleExpression('cron(0 10 * * ? 2200)'),
      (e: unknown) => e instanceof ScheduleExpressionError && /Year 2200/.test(e.reason),
    );
  });

  test('a non-string is invalid, not a crash', () => {
    assert.equal(isValidScheduleExpression(undefined as unknown as string), false);
    assert.equal(isValidScheduleExpression(5 as unknown as string), false);
  });
});

describe('parsed form', () => {
  test('rates carry their period and text', () => {
    assert.deepEqual(parseScheduleExpression('rate(1 minute)'), {
      kind: 'rate',
      text: 'rate(1 minute)',
      periodMs: MINUTE,
    });
    assert.deepEqual(parseScheduleExpression('rate(5 minutes)'), {
      kind: 'rate',
      text: 'rate(5 minutes)',
      periodMs: 5 * MINUTE,
    });
    assert.equal((parseScheduleExpression('rate(2 hours)') as { periodMs: number }).periodMs, 2 * HOUR);
    assert.equal((parseScheduleExpression('rate(1 day)') as { periodMs: number }).periodMs, DAY);
  });

  test('lists, ranges and increments expand to sorted sets', () => {
    assert.deepEqual(cron('cron(0/15 * * * ? *)').minutes, [0, 15, 30, 45]);
    assert.deepEqual(cron('cron(1/10 * * * ? *)').minutes, [1, 11, 21, 31, 41, 51]);
    assert.deepEqual(cron('cron(*/20 * * * ? *)').minutes, [0, 20, 40]);
    assert.deepEqual(cron('cron(10-40/10 * * * ? *)').minutes, [10, 20, 30, 40]);
    assert.deepEqual(cron('cron(30,5,5,10-12 * * * ? *)').minutes, [5, 10, 11, 12, 30]);
    assert.deepEqual(cron('cron(0 8-17 * * ? *)').hours, [8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    assert.deepEqual(cron('cron(0 22-2 * * ? *)').hours, [0, 1, 2, 22, 23]);
    assert.deepEqual(cron('cron(50-10/5 * * * ? *)').minutes, [0, 5, 10, 50, 55]);
    assert.deepEqual(cron('cron(0 0 * NOV-FEB ? *)').months, [1, 2, 11, 12]);
    assert.deepEqual(cron('cron(0 0 * 1/4 ? *)').months, [1, 5, 9]);
    assert.deepEqual(cron('cron(0 0 * * ? 2024-2026,2030)').years, [2024, 2025, 2026, 2030]);
    assert.deepEqual(cron('cron(0 0 * * ? 2190/5)').years, [2190, 2195]);
    assert.equal(cron('cron(0 0 * * ? *)').years.length, 230);
    assert.deepEqual(cron('cron(0 0 * * ? *)').days, {
      kind: 'daysOfMonth',
      days: Array.from({ length: 31 }, (_, i) => i + 1),
    });
  });

  test('day fields', () => {
    assert.deepEqual(cron('cron(0 0 ? * MON-FRI *)').days, { kind: 'daysOfWeek', days: [2, 3, 4, 5, 6] });
    assert.deepEqual(cron('cron(0 0 ? * FRI-MON *)').days, { kind: 'daysOfWeek', days: [1, 2, 6, 7] });
    assert.deepEqual(cron('cron(0 0 ? * L *)').days, { kind: 'daysOfWeek', days: [7] });
    assert.deepEqual(cron('cron(0 0 ? * 6L *)').days, { kind: 'lastDayOfWeek', dayOfWeek: 6 });
    assert.deepEqual(cron('cron(0 0 ? * FRIL *)').days, { kind: 'lastDayOfWeek', dayOfWeek: 6 });
    assert.deepEqual(cron('cron(0 0 ? * 3#2 *)').days, { kind: 'nthDayOfWeek', dayOfWeek: 3, nth: 2 });
    assert.deepEqual(cron('cron(0 0 ? * TUE#2 *)').days, { kind: 'nthDayOfWeek', dayOfWeek: 3, nth: 2 });
    assert.deepEqual(cron('cron(0 0 L * ? *)').days, { kind: 'lastDayOfMonth', offset: 0 });
    assert.deepEqual(cron('cron(0 0 L-2 * ? *)').days, { kind: 'lastDayOfMonth', offset: 2 });
    assert.deepEqual(cron('cron(0 0 LW * ? *)').days, { kind: 'lastWeekdayOfMonth' });
    assert.deepEqual(cron('cron(0 0 3W * ? *)').days, { kind: 'nearestWeekday', day: 3 });
  });
});

describe('rate fire times', () => {
  const anchor = at('2024-03-10T10:00:30.500Z');
  const every5 = parseScheduleExpression('rate(5 minutes)');

  test('the first fire is one period after the anchor, never at it', () => {
    assert.equal(nextFireTime(every5, anchor, anchor), anchor + 5 * MINUTE);
    assert.equal(nextFireTime(every5, anchor - DAY, anchor), anchor + 5 * MINUTE);
  });

  test('later fires stay on the anchor grid, strictly after the given time', () => {
    assert.equal(nextFireTime(every5, anchor + 5 * MINUTE - 1, anchor), anchor + 5 * MINUTE);
    assert.equal(nextFireTime(every5, anchor + 5 * MINUTE, anchor), anchor + 10 * MINUTE);
    assert.equal(nextFireTime(every5, anchor + 5 * MINUTE + 1, anchor), anchor + 10 * MINUTE);
    assert.equal(nextFireTime(every5, anchor + 1000 * DAY + 1, anchor), anchor + 1000 * DAY + 5 * MINUTE);
    const daily = parseScheduleExpression('rate(1 day)');
    assert.equal(nextFireTime(daily, anchor + 3 * DAY + HOUR, anchor), anchor + 4 * DAY);
  });

  test('matches accepts exactly the anchor grid after the anchor', () => {
    assert.ok(matches(every5, anchor + 5 * MINUTE, anchor));
    assert.ok(matches(every5, anchor + 50 * MINUTE, anchor));
    assert.ok(!matches(every5, anchor, anchor));
    assert.ok(!matches(every5, anchor - 5 * MINUTE, anchor));
    assert.ok(!matches(every5, anchor + 5 * MINUTE + 1, anchor));
  });

  test('property: the result is the first grid point strictly after the given time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.constantFrom(MINUTE, HOUR, DAY),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: -10 * DAY, max: 1000 * DAY }),
        (value, unitMs, anchorMs, offset) => {
          const unit = unitMs === MINUTE ? 'minute' : unitMs === HOUR ? 'hour' : 'day';
          const schedule = parseScheduleExpression(`rate(${value} ${unit}${value === 1 ? '' : 's'})`);
          const period = value * unitMs;
          const after = anchorMs + offset;
          const r = nextFireTime(schedule, after, anchorMs);
          assert.ok(r !== undefined);
          assert.ok(r > after);
          assert.ok(matches(schedule, r, anchorMs));
          assert.ok(r === anchorMs + period || r - period <= after);
        },
      ),
    );
  });

  test('non-finite times are a programming error', () => {
    assert.throws(() => nextFireTime(every5, Number.NaN, anchor), RangeError);
    assert.throws(() => nextFireTime(every5, anchor, Number.POSITIVE_INFINITY), RangeError);
    assert.throws(() => nextFireTime(cron('cron(0 10 * * ? *)'), Number.NaN, 0), RangeError);
  });
});

describe('cron fire times: the AWS examples', () => {
  test('cron(0 10 * * ? *) runs at 10:00 UTC every day', () => {
    assert.deepEqual(fires('cron(0 10 * * ? *)', '2024-03-10T09:59:59.999Z', 3), [
      '2024-03-10T10:00:00.000Z',
      '2024-03-11T10:00:00.000Z',
      '2024-03-12T10:00:00.000Z',
    ]);
    assert.equal(next('cron(0 10 * * ? *)', '2024-12-31T10:00:00Z'), '2025-01-01T10:00:00.000Z');
  });

  test('cron(15 12 * * ? *) runs at 12:15 UTC every day', () => {
    assert.deepEqual(fires('cron(15 12 * * ? *)', '2024-02-28T13:00:00Z', 2), [
      '2024-02-29T12:15:00.000Z',
      '2024-03-01T12:15:00.000Z',
    ]);
  });

  test('cron(0 18 ? * MON-FRI *) runs at 18:00 UTC on weekdays', () => {
    // 2024-03-08 is a Friday.
    assert.deepEqual(fires('cron(0 18 ? * MON-FRI *)', '2024-03-08T17:00:00Z', 3), [
      '2024-03-08T18:00:00.000Z',
      '2024-03-11T18:00:00.000Z',
      '2024-03-12T18:00:00.000Z',
    ]);
  });

  test('cron(0 8 1 * ? *) runs at 08:00 UTC on the first of every month', () => {
    assert.deepEqual(fires('cron(0 8 1 * ? *)', '2024-01-01T08:00:00Z', 3), [
      '2024-02-01T08:00:00.000Z',
      '2024-03-01T08:00:00.000Z',
      '2024-04-01T08:00:00.000Z',
    ]);
  });

  test('cron(0/15 * * * ? *) runs every 15 minutes', () => {
    assert.deepEqual(fires('cron(0/15 * * * ? *)', '2024-03-10T23:37:30Z', 3), [
      '2024-03-10T23:45:00.000Z',
      '2024-03-11T00:00:00.000Z',
      '2024-03-11T00:15:00.000Z',
    ]);
  });

  test('cron(0/10 * ? * MON-FRI *) runs every 10 minutes on weekdays', () => {
    assert.deepEqual(fires('cron(0/10 * ? * MON-FRI *)', '2024-03-08T23:45:00Z', 3), [
      '2024-03-08T23:50:00.000Z',
      '2024-03-11T00:00:00.000Z',
      '2024-03-11T00:10:00.000Z',
    ]);
  });

  test('cron(0/5 8-17 ? * MON-FRI *) runs every 5 minutes from 08:00 to 17:55 on weekdays', () => {
    assert.deepEqual(fires('cron(0/5 8-17 ? * MON-FRI *)', '2024-03-08T17:50:00Z', 3), [
      '2024-03-08T17:55:00.000Z',
      '2024-03-11T08:00:00.000Z',
      '2024-03-11T08:05:00.000Z',
    ]);
    assert.equal(next('cron(0/5 8-17 ? * MON-FRI *)', '2024-03-12T03:00:00Z'), '2024-03-12T08:00:00.000Z');
  });

  test('cron(0 9 ? * 2#1 *) runs at 09:00 UTC on the first Monday of each month', () => {
    assert.deepEqual(fires('cron(0 9 ? * 2#1 *)', '2023-12-31T00:00:00Z', 5), [
      '2024-01-01T09:00:00.000Z',
      '2024-02-05T09:00:00.000Z',
      '2024-03-04T09:00:00.000Z',
      '2024-04-01T09:00:00.000Z',
      '2024-05-06T09:00:00.000Z',
    ]);
  });
});

describe('cron fire times: L, W and #', () => {
  test('L in day-of-month is the last day, leap years included', () => {
    assert.equal(next('cron(0 0 L 2 ? 2028)', '2024-01-01T00:00:00Z'), '2028-02-29T00:00:00.000Z');
    assert.deepEqual(fires('cron(0 0 L 2 ? *)', '2027-01-01T00:00:00Z', 2), [
      '2027-02-28T00:00:00.000Z',
      '2028-02-29T00:00:00.000Z',
    ]);
    // Centuries are leap years only when divisible by 400.
    assert.equal(next('cron(0 0 L 2 ? *)', '2100-01-01T00:00:00Z'), '2100-02-28T00:00:00.000Z');
    assert.equal(next('cron(0 0 L 2 ? *)', '1999-12-31T00:00:00Z'), '2000-02-29T00:00:00.000Z');
    assert.deepEqual(fires('cron(30 23 L * ? *)', '2024-03-31T23:30:00Z', 3), [
      '2024-04-30T23:30:00.000Z',
      '2024-05-31T23:30:00.000Z',
      '2024-06-30T23:30:00.000Z',
    ]);
  });

  test('L-n counts back from the last day', () => {
    assert.deepEqual(fires('cron(0 0 L-3 * ? *)', '2024-02-01T00:00:00Z', 3), [
      '2024-02-26T00:00:00.000Z',
      '2024-03-28T00:00:00.000Z',
      '2024-04-27T00:00:00.000Z',
    ]);
    // February has no "30 days before the last" day.
    assert.equal(next('cron(0 0 L-30 * ? *)', '2024-01-31T12:00:00Z'), '2024-03-01T00:00:00.000Z');
  });

  test('W picks the nearest weekday without leaving the month', () => {
    // 2024-06-01 is a Saturday: the 1st's nearest weekday in June is Monday the 3rd, not Friday May 31.
    assert.equal(next('cron(0 0 1W * ? *)', '2024-05-15T00:00:00Z'), '2024-06-03T00:00:00.000Z');
    // 2024-09-01 is a Sunday: Monday the 2nd.
    assert.equal(next('cron(0 0 1W * ? *)', '2024-08-15T00:00:00Z'), '2024-09-02T00:00:00.000Z');
    // 2024-03-31 is a Sunday: the 31st's nearest weekday is Friday the 29th, not Monday April 1.
    assert.equal(next('cron(0 0 31W * ? *)', '2024-03-01T00:00:00Z'), '2024-03-29T00:00:00.000Z');
    // 2024-06-15 is a Saturday: Friday the 14th; 2024-09-15 is a Sunday: Monday the 16th.
    assert.equal(next('cron(0 0 15W * ? *)', '2024-06-01T00:00:00Z'), '2024-06-14T00:00:00.000Z');
    assert.equal(next('cron(0 0 15W * ? *)', '2024-09-01T00:00:00Z'), '2024-09-16T00:00:00.000Z');
    // A weekday is its own nearest weekday: 2024-03-15 is a Friday.
    assert.equal(next('cron(0 0 15W * ? *)', '2024-03-01T00:00:00Z'), '2024-03-15T00:00:00.000Z');
    // 2024-04 has no 31st, so it has no 31W: 2024-05-31 is a Friday.
    assert.equal(next('cron(0 0 31W * ? *)', '2024-03-30T00:00:00Z'), '2024-05-31T00:00:00.000Z');
  });

  test('LW is the last weekday of the month', () => {
    assert.deepEqual(fires('cron(0 0 LW * ? *)', '2024-02-15T00:00:00Z', 7), [
      '2024-02-29T00:00:00.000Z',
      '2024-03-29T00:00:00.000Z',
      '2024-04-30T00:00:00.000Z',
      '2024-05-31T00:00:00.000Z',
      '2024-06-28T00:00:00.000Z',
      '2024-07-31T00:00:00.000Z',
      '2024-08-30T00:00:00.000Z',
    ]);
  });

  test('nL in day-of-week is the last such weekday of the month', () => {
    assert.deepEqual(fires('cron(0 0 ? * 6L *)', '2024-01-01T00:00:00Z', 5), [
      '2024-01-26T00:00:00.000Z',
      '2024-02-23T00:00:00.000Z',
      '2024-03-29T00:00:00.000Z',
      '2024-04-26T00:00:00.000Z',
      '2024-05-31T00:00:00.000Z',
    ]);
    assert.equal(next('cron(0 0 ? * FRIL *)', '2024-05-01T00:00:00Z'), '2024-05-31T00:00:00.000Z');
    // The last Thursday of February 2024 is the leap day.
    assert.equal(next('cron(0 0 ? 2 5L *)', '2024-01-01T00:00:00Z'), '2024-02-29T00:00:00.000Z');
  });

  test('L alone in day-of-week is Saturday, the last day of the week', () => {
    assert.deepEqual(fires('cron(0 0 ? * L *)', '2024-03-06T00:00:00Z', 2), [
      '2024-03-09T00:00:00.000Z',
      '2024-03-16T00:00:00.000Z',
    ]);
  });

  test('n#k is the k-th such weekday; months without one are skipped', () => {
    // 3 = TUE since 1 = SUN.
    assert.deepEqual(fires('cron(0 12 ? * 3#2 *)', '2024-03-01T00:00:00Z', 2), [
      '2024-03-12T12:00:00.000Z',
      '2024-04-09T12:00:00.000Z',
    ]);
    // Fifth Fridays of 2024: March, May, August, November.
    assert.deepEqual(fires('cron(0 0 ? * FRI#5 2024)', '2024-01-01T00:00:00Z', 5), [
      '2024-03-29T00:00:00.000Z',
      '2024-05-31T00:00:00.000Z',
      '2024-08-30T00:00:00.000Z',
      '2024-11-29T00:00:00.000Z',
      undefined,
    ]);
    // A fifth Tuesday in February needs a leap year whose February starts on a Tuesday.
    assert.deepEqual(fires('cron(0 0 ? 2 3#5 *)', '2024-01-01T00:00:00Z', 2), [
      '2028-02-29T00:00:00.000Z',
      '2056-02-29T00:00:00.000Z',
    ]);
  });

  test('wrapping ranges run through the end of the cycle', () => {
    assert.deepEqual(fires('cron(0 22-1 * * ? *)', '2024-03-10T21:30:00Z', 5), [
      '2024-03-10T22:00:00.000Z',
      '2024-03-10T23:00:00.000Z',
      '2024-03-11T00:00:00.000Z',
      '2024-03-11T01:00:00.000Z',
      '2024-03-11T22:00:00.000Z',
    ]);
    // 2024-03-08 is a Friday.
    assert.deepEqual(fires('cron(0 0 ? * FRI-MON *)', '2024-03-07T00:00:00Z', 5), [
      '2024-03-08T00:00:00.000Z',
      '2024-03-09T00:00:00.000Z',
      '2024-03-10T00:00:00.000Z',
      '2024-03-11T00:00:00.000Z',
      '2024-03-15T00:00:00.000Z',
    ]);
  });

  test('day 29 to 31 only fire in months that have them', () => {
    assert.equal(next('cron(0 0 29 2 ? *)', '2025-01-01T00:00:00Z'), '2028-02-29T00:00:00.000Z');
    assert.deepEqual(fires('cron(0 0 31 * ? *)', '2024-01-31T00:00:00Z', 3), [
      '2024-03-31T00:00:00.000Z',
      '2024-05-31T00:00:00.000Z',
      '2024-07-31T00:00:00.000Z',
    ]);
  });
});

describe('cron fire times: boundaries', () => {
  test('strictly after: a time exactly on a fire minute gives the next one', () => {
    assert.equal(next('cron(0 10 * * ? *)', '2024-03-10T10:00:00.000Z'), '2024-03-11T10:00:00.000Z');
    assert.equal(next('cron(* * * * ? *)', '2024-03-10T10:00:00.000Z'), '2024-03-10T10:01:00.000Z');
    // Inside the fire minute, but after its start.
    assert.equal(next('cron(0 10 * * ? *)', '2024-03-10T10:00:00.001Z'), '2024-03-11T10:00:00.000Z');
    assert.equal(next('cron(* * * * ? *)', '2024-03-10T10:00:59.999Z'), '2024-03-10T10:01:00.000Z');
    assert.equal(next('cron(0/15 * * * ? *)', '2024-03-10T10:14:59.999Z'), '2024-03-10T10:15:00.000Z');
  });

  test('carries across hour, day, month and year ends', () => {
    assert.equal(next('cron(* * * * ? *)', '2024-12-31T23:59:00Z'), '2025-01-01T00:00:00.000Z');
    assert.equal(next('cron(0 0 1 1 ? *)', '2024-01-01T00:00:00Z'), '2025-01-01T00:00:00.000Z');
    assert.equal(next('cron(30 * * * ? *)', '2024-02-29T23:45:00Z'), '2024-03-01T00:30:00.000Z');
    assert.equal(next('cron(5 3 * DEC ? *)', '2024-12-31T03:05:00Z'), '2025-12-01T03:05:00.000Z');
  });

  test('undefined when no fire time exists', () => {
    assert.equal(next('cron(0 0 30 2 ? *)', '2024-01-01T00:00:00Z'), undefined);
    assert.equal(next('cron(0 0 31 4,6,9,11 ? *)', '1970-01-01T00:00:00Z'), undefined);
    assert.equal(next('cron(0 0 ? 2 2#5 2027)', '2020-01-01T00:00:00Z'), undefined);
    assert.equal(next('cron(0 0 1 1 ? 2020)', '2024-01-01T00:00:00Z'), undefined);
    assert.equal(next('cron(0 0 1 1 ? 2020-2023)', '2023-01-01T00:00:00Z'), undefined);
  });

  test('the year 2199 is the last', () => {
    assert.deepEqual(fires('cron(59 23 31 12 ? *)', '2198-12-31T23:59:00Z', 3), [
      '2199-12-31T23:59:00.000Z',
      undefined,
    ]);
    assert.equal(next('cron(* * * * ? *)', '2199-12-31T23:59:00Z'), undefined);
    assert.equal(next('cron(* * * * ? *)', '2250-06-01T00:00:00Z'), undefined);
    // Past the range a Date can hold.
    assert.equal(nextFireTime(cron('cron(* * * * ? *)'), Number.MAX_SAFE_INTEGER, 0), undefined);
  });

  test('before 1970 the first fire is the schedule start in 1970', () => {
    assert.equal(next('cron(0 0 1 1 ? *)', '1960-05-05T00:00:00Z'), '1970-01-01T00:00:00.000Z');
    assert.equal(next('cron(0 0 1 1 ? 1970)', '1969-12-31T23:59:59.999Z'), '1970-01-01T00:00:00.000Z');
    assert.equal(iso(nextFireTime(cron('cron(0 0 1 1 ? *)'), -Number.MAX_SAFE_INTEGER, 0)), '1970-01-01T00:00:00.000Z');
  });

  test('the anchor does not move cron fire times', () => {
    const s = parseScheduleExpression('cron(0 10 * * ? *)');
    const after = at('2024-03-10T00:00:00Z');
    assert.equal(nextFireTime(s, after, 0), nextFireTime(s, after, at('2024-03-09T09:17:00Z')));
  });

  test('sparse and impossible schedules are answered without walking minutes', () => {
    const from1970 = at('1970-01-01T00:00:00Z');
    const sparse = [
      ['cron(0 0 1 1 ? 2199)', '2199-01-01T00:00:00.000Z'],
      ['cron(59 23 31 12 ? 2199)', '2199-12-31T23:59:00.000Z'],
      ['cron(0 0 30 2 ? *)', undefined],
      // A fifth Monday in February: a leap year whose February starts on a Monday.
      ['cron(0 0 ? 2 2#5 *)', '1988-02-29T00:00:00.000Z'],
    ] as const;
    const started = performance.now();
    for (let i = 0; i < 200; i++) {
      for (const [text, expected] of sparse) {
        assert.equal(iso(nextFireTime(parseScheduleExpression(text), from1970 + i * MINUTE, 0)), expected, text);
      }
    }
    // A minute-by-minute walk would need ~1.2e8 steps per call; the year/month/day walk needs hundreds.
    assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
  });
});

describe('matches', () => {
  test('whole matching minutes only', () => {
    const s = parseScheduleExpression('cron(0/15 10 ? * MON-FRI *)');
    assert.ok(matches(s, at('2024-03-08T10:45:00Z')));
    assert.ok(!matches(s, at('2024-03-08T10:45:00.001Z')));
    assert.ok(!matches(s, at('2024-03-08T10:45:30Z')));
    assert.ok(!matches(s, at('2024-03-08T10:46:00Z')));
    assert.ok(!matches(s, at('2024-03-08T11:45:00Z')));
    // Saturday.
    assert.ok(!matches(s, at('2024-03-09T10:45:00Z')));
  });

  test('day rules', () => {
    assert.ok(matches(cron('cron(0 0 LW * ? *)'), at('2024-08-30T00:00:00Z')));
    assert.ok(!matches(cron('cron(0 0 LW * ? *)'), at('2024-08-31T00:00:00Z')));
    assert.ok(matches(cron('cron(0 0 LW * ? *)'), at('2024-03-29T00:00:00Z')));
    assert.ok(matches(cron('cron(0 0 ? * 6L *)'), at('2024-05-31T00:00:00Z')));
    assert.ok(!matches(cron('cron(0 0 ? * 6L *)'), at('2024-05-24T00:00:00Z')));
    assert.ok(matches(cron('cron(0 0 ? * 3#2 *)'), at('2024-03-12T00:00:00Z')));
    assert.ok(!matches(cron('cron(0 0 ? * 3#2 *)'), at('2024-03-19T00:00:00Z')));
    assert.ok(matches(cron('cron(0 0 1W * ? *)'), at('2024-06-03T00:00:00Z')));
    assert.ok(!matches(cron('cron(0 0 1W * ? *)'), at('2024-06-01T00:00:00Z')));
  });

  test('nothing outside 1970-2199 matches', () => {
    const everyMinute = parseScheduleExpression('cron(* * * * ? *)');
    assert.ok(!matches(everyMinute, at('1969-12-31T23:59:00Z')));
    assert.ok(matches(everyMinute, at('1970-01-01T00:00:00Z')));
    assert.ok(matches(everyMinute, at('2199-12-31T23:59:00Z')));
    assert.ok(!matches(everyMinute, at('2200-01-01T00:00:00Z')));
  });
});

// Random expressions from plain fields (values, ranges, wrapping ranges, increments, lists) and the special day forms.
function fieldArb(min: number, max: number, names?: readonly string[]): fc.Arbitrary<string> {
  const value = fc.integer({ min, max });
  const show = (v: number, asName: boolean, lower: boolean) => {
    const name = names?.[v - min];
    if (!asName || name === undefined) return String(v);
    return lower ? name.toLowerCase() : name;
  };
  const token = fc.tuple(value, fc.boolean(), fc.boolean()).map(([v, n, l]) => show(v, n, l));
  const step = fc.integer({ min: 1, max: Math.min(max, 20) });
  const range = fc.tuple(token, token).map(([a, b]) => `${a}-${b}`);
  const item = fc.oneof(
    token,
    range,
    fc.tuple(token, step).map(([a, s]) => `${a}/${s}`),
    step.map((s) => `*/${s}`),
    fc.tuple(range, step).map(([r, s]) => `${r}/${s}`),
  );
  return fc.oneof(
    { arbitrary: fc.constant('*'), weight: 2 },
    { arbitrary: item, weight: 3 },
    { arbitrary: fc.array(item, { minLength: 2, maxLength: 4 }).map((items) => items.join(',')), weight: 2 },
  );
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const dayFieldsArb: fc.Arbitrary<[string, string]> = fc.oneof(
  fieldArb(1, 31).map((dom): [string, string] => [dom, '?']),
  fieldArb(1, 7, DAY_NAMES).map((dow): [string, string] => ['?', dow]),
  fc
    .oneof(
      fc.constant('L'),
      fc.constant('LW'),
      fc.integer({ min: 0, max: 30 }).map((n) => `L-${n}`),
      fc.integer({ min: 1, max: 31 }).map((n) => `${n}W`),
    )
    .map((dom): [string, string] => [dom, '?']),
  fc
    .oneof(
      fc.constant('L'),
      fc.integer({ min: 1, max: 7 }).map((n) => `${n}L`),
      fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 5 })).map(([d, n]) => `${d}#${n}`),
    )
    .map((dow): [string, string] => ['?', dow]),
);

const yearArb = fc.oneof(
  { arbitrary: fc.constant('*'), weight: 3 },
  {
    arbitrary: fc
      .tuple(fc.integer({ min: 1990, max: 2160 }), fc.integer({ min: 0, max: 40 }))
      .map(([a, n]) => `${a}-${Math.min(2199, a + n)}`),
    weight: 1,
  },
  { arbitrary: fc.integer({ min: 1990, max: 2199 }).map(String), weight: 1 },
);

const cronArb = fc
  .tuple(fieldArb(0, 59), fieldArb(0, 23), dayFieldsArb, fieldArb(1, 12, MONTH_NAMES), yearArb)
  .map(([minutes, hours, [dom, dow], month, year]) => `cron(${minutes} ${hours} ${dom} ${month} ${dow} ${year})`);

// Every year and only plain day fields, so that most answers are near enough to check every minute before them.
const denseCronArb = fc
  .tuple(
    fieldArb(0, 59),
    fieldArb(0, 23),
    fc.oneof(
      fieldArb(1, 31).map((dom): [string, string] => [dom, '?']),
      fieldArb(1, 7, DAY_NAMES).map((dow): [string, string] => ['?', dow]),
    ),
  )
  .map(([minutes, hours, [dom, dow]]) => `cron(${minutes} ${hours} ${dom} * ${dow} *)`);

describe('property: nextFireTime agrees with matches', () => {
  test('generated expressions are valid', () => {
    fc.assert(fc.property(fc.oneof(cronArb, denseCronArb), (text) => isValidScheduleExpression(text)));
  });

  test('the result is a later matching minute with no matching minute before it', () => {
    const window = 3 * DAY;
    fc.assert(
      fc.property(
        fc.oneof(cronArb, denseCronArb),
        fc.integer({ min: Date.UTC(1995, 0, 1), max: Date.UTC(2160, 0, 1) }),
        (text, after) => {
          const schedule = parseScheduleExpression(text);
          const r = nextFireTime(schedule, after, 0);
          if (r !== undefined) {
            assert.ok(r > after, `${text}: ${iso(r)} is not after ${iso(after)}`);
            assert.equal(r % MINUTE, 0);
            assert.ok(matches(schedule, r), `${text}: ${iso(r)} does not match`);
          }
          // Stepping minutes is only affordable when the answer is near.
          if (r !== undefined && r - after < window) {
            for (let t = Math.floor(after / MINUTE) * MINUTE + MINUTE; t < r; t += MINUTE) {
              assert.ok(
                !matches(schedule, t),
                `${text}: ${iso(t)} matches but the answer after ${iso(after)} was ${iso(r)}`,
              );
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test('walking fire times one after another never skips or repeats', () => {
    fc.assert(
      fc.property(cronArb, fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }), (text, after) => {
        const schedule = parseScheduleExpression(text);
        let t: number | undefined = after;
        for (let i = 0; i < 20 && t !== undefined; i++) {
          const r = nextFireTime(schedule, t, 0);
          if (r === undefined) break;
          assert.ok(r > t && matches(schedule, r));
          // The minute before the answer is either the previous answer's minute or before it, or does not match.
          const before = r - MINUTE;
          assert.ok(before <= t || !matches(schedule, before), `${text}: skipped ${iso(before)}`);
          t = r;
        }
      }),
      { numRuns: 200 },
    );
  });
});
