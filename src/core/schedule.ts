/**
 * EventBridge rule ScheduleExpression: parsing, matching and next-fire computation (pure; UTC; epoch milliseconds).
 *
 * Sources: AWS's "Cron expressions reference" and "Rate expressions reference" (EventBridge user guide).
 * - `rate(value unit)`: value a positive integer, unit minute(s) | hour(s) | day(s), singular exactly when value is 1.
 *   A rate rule fires every period counted from its anchor (creation or enable time), never at the anchor itself.
 * - `cron(Minutes Hours Day-of-month Month Day-of-week Year)`: six fields separated by single spaces.
 *   Minutes 0-59, Hours 0-23, Day-of-month 1-31, Month 1-12 or JAN-DEC, Day-of-week 1-7 or SUN-SAT (1 = SUN),
 *   Year 1970-2199; `,` lists, `-` ranges, `*` all, `/` increments, `?` any (day fields only, exactly one of the two),
 *   `L` last, `W` nearest weekday (day-of-month), `#` nth weekday (day-of-week, alone in its field).
 *
 * The docs' syntax is Quartz's (same `?`/`L`/`W`/`#` rules, same 1970-2199 years), so where the docs are silent this
 * follows Quartz: ranges wrap (`FRI-MON`, `22-2`), `L` alone in day-of-week is Saturday (the week's last day),
 * day-of-month also takes `LW` (last weekday) and `L-n` (n days before the last), `L`/`W`/`#` forms cannot be
 * mixed into lists, increments may not exceed the field's maximum, and names are case-insensitive.
 */

export const INVALID_SCHEDULE_EXPRESSION = 'Parameter ScheduleExpression is not valid.';

export class ScheduleExpressionError extends Error {
  override readonly name = 'ScheduleExpressionError';
  /** What exactly is wrong, for logs: AWS answers every invalid expression with the same fixed message. */
  readonly reason: string;
  constructor(reason: string) {
    super(INVALID_SCHEDULE_EXPRESSION);
    this.reason = reason;
  }
}

export interface RateSchedule {
  readonly kind: 'rate';
  readonly text: string;
  readonly periodMs: number;
}

/** Which days of a month a cron expression fires on: whichever of day-of-month or day-of-week is not `?`. */
export type DaySpec =
  /** Day-of-month numbers (`*` is 1-31); days past the month's end never match. */
  | { readonly kind: 'daysOfMonth'; readonly days: readonly number[] }
  /** `L` (offset 0) or `L-n`. */
  | { readonly kind: 'lastDayOfMonth'; readonly offset: number }
  /** `LW`. */
  | { readonly kind: 'lastWeekdayOfMonth' }
  /** `nW`. */
  | { readonly kind: 'nearestWeekday'; readonly day: number }
  /** Day-of-week numbers, 1 = SUN ... 7 = SAT. */
  | { readonly kind: 'daysOfWeek'; readonly days: readonly number[] }
  /** `nL`: the last such weekday of the month. */
  | { readonly kind: 'lastDayOfWeek'; readonly dayOfWeek: number }
  /** `n#k`: the k-th such weekday of the month. */
  | { readonly kind: 'nthDayOfWeek'; readonly dayOfWeek: number; readonly nth: number };

export interface CronSchedule {
  readonly kind: 'cron';
  readonly text: string;
  /** Each list sorted ascending, without duplicates. */
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly days: DaySpec;
  readonly months: readonly number[];
  readonly years: readonly number[];
}

export type Schedule = RateSchedule | CronSchedule;

const MINUTE_MS = 60_000;
const RATE_UNIT_MS = { minute: MINUTE_MS, hour: 60 * MINUTE_MS, day: 24 * 60 * MINUTE_MS } as const;

const MIN_YEAR = 1970;
const MAX_YEAR = 2199;
const FIRST_CRON_MS = Date.UTC(MIN_YEAR, 0, 1);
const END_CRON_MS = Date.UTC(MAX_YEAR + 1, 0, 1);

const SATURDAY = 7;
const SUNDAY = 1;
const FRIDAY = 6;

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Quartz rejects increments above the field's maximum; the year has no such bound, so the span is used. */
  readonly maxStep: number;
  /** Reversed ranges wrap round (`FRI-MON`), except for years, which have no "round". */
  readonly wraps: boolean;
  /** Three-letter names for min, min + 1, ... */
  readonly names?: readonly string[];
}

const MINUTES: FieldSpec = { name: 'Minutes', min: 0, max: 59, maxStep: 59, wraps: true };
const HOURS: FieldSpec = { name: 'Hours', min: 0, max: 23, maxStep: 23, wraps: true };
const DAY_OF_MONTH: FieldSpec = { name: 'Day-of-month', min: 1, max: 31, maxStep: 31, wraps: true };
const MONTH: FieldSpec = {
  name: 'Month',
  min: 1,
  max: 12,
  maxStep: 12,
  wraps: true,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
const DAY_OF_WEEK: FieldSpec = {
  name: 'Day-of-week',
  min: 1,
  max: 7,
  maxStep: 7,
  wraps: true,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
};
const YEAR: FieldSpec = {
  name: 'Year',
  min: MIN_YEAR,
  max: MAX_YEAR,
  maxStep: MAX_YEAR - MIN_YEAR,
  wraps: false,
};

function fail(reason: string): never {
  throw new ScheduleExpressionError(reason);
}

/** Parses `rate(N unit)` or `cron(six fields)`; throws ScheduleExpressionError otherwise. */
export function parseScheduleExpression(text: string): Schedule {
  if (typeof text !== 'string') fail('the expression must be a string');
  if (text.startsWith('rate(') && text.endsWith(')')) return parseRate(text, text.slice(5, -1));
  if (text.startsWith('cron(') && text.endsWith(')')) return parseCron(text, text.slice(5, -1));
  return fail('expected rate(value unit) or cron(fields)');
}

export function isValidScheduleExpression(text: string): boolean {
  try {
    parseScheduleExpression(text);
    return true;
  } catch (e) {
    if (e instanceof ScheduleExpressionError) return false;
    throw e;
  }
}

function parseRate(text: string, body: string): RateSchedule {
  const match = /^(\d+) (minute|hour|day)(s?)$/.exec(body);
  if (!match) return fail('a rate is "rate(value unit)" with unit minute(s), hour(s) or day(s)');
  const [, valueText = '', unit = 'minute', plural = ''] = match;
  const value = Number(valueText);
  if (value < 1) fail('the rate value must be positive');
  if ((value === 1) !== (plural === '')) fail('the unit must be singular for a value of 1 and plural otherwise');
  const periodMs = value * RATE_UNIT_MS[unit as keyof typeof RATE_UNIT_MS];
  if (!Number.isSafeInteger(periodMs)) fail('the rate value is too large');
  return { kind: 'rate', text, periodMs };
}

function parseCron(text: string, body: string): CronSchedule {
  const fields = body.split(' ');
  if (fields.length !== 6) fail(`a cron expression has 6 fields, not ${fields.length}`);
  if (fields.some((f) => f === '')) fail('cron fields are separated by single spaces and cannot be empty');
  const [minutes = '', hours = '', dayOfMonth = '', month = '', dayOfWeek = '', year = ''] = fields.map((f) =>
    f.toUpperCase(),
  );
  const anyDayOfMonth = dayOfMonth === '?';
  if (anyDayOfMonth === (dayOfWeek === '?')) fail('exactly one of Day-of-month and Day-of-week must be ?');
  return {
    kind: 'cron',
    text,
    minutes: parseList(MINUTES, minutes),
    hours: parseList(HOURS, hours),
    days: anyDayOfMonth ? parseDayOfWeek(dayOfWeek) : parseDayOfMonth(dayOfMonth),
    months: parseList(MONTH, month),
    years: parseList(YEAR, year),
  };
}

function parseValue(spec: FieldSpec, token: string): number {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (value < spec.min || value > spec.max) fail(`${spec.name} ${token} is not in ${spec.min}-${spec.max}`);
    return value;
  }
  const index = spec.names?.indexOf(token) ?? -1;
  if (index < 0) fail(`${spec.name} has no value ${JSON.stringify(token)}`);
  return spec.min + index;
}

/** A `,` list of `*`, `a`, `a-b`, each optionally `/step` (`a/step` runs from a to the field's maximum). */
function parseList(spec: FieldSpec, field: string): number[] {
  const span = spec.max - spec.min + 1;
  const values = new Set<number>();
  for (const item of field.split(',')) {
    const parts = item.split('/');
    if (parts.length > 2) fail(`${spec.name} item ${JSON.stringify(item)} has more than one /`);
    const [range = '', stepText] = parts;
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText)) fail(`${spec.name} increment ${JSON.stringify(stepText)} is not a number`);
      step = Number(stepText);
      if (step < 1 || step > spec.maxStep) fail(`${spec.name} increment ${stepText} is not in 1-${spec.maxStep}`);
    }
    let start: number;
    let end: number;
    if (range === '*') {
      start = spec.min;
      end = spec.max;
    } else {
      const bounds = range.split('-');
      if (bounds.length > 2) fail(`${spec.name} range ${JSON.stringify(range)} is malformed`);
      start = parseValue(spec, bounds[0] ?? '');
      if (bounds.length === 2) end = parseValue(spec, bounds[1] ?? '');
      else end = stepText === undefined ? start : spec.max;
    }
    if (end < start) {
      if (!spec.wraps) fail(`${spec.name} range ${JSON.stringify(range)} runs backwards`);
      end += span;
    }
    for (let v = start; v <= end; v += step) values.add(v > spec.max ? v - span : v);
  }
  return [...values].sort((a, b) => a - b);
}

function parseDayOfMonth(field: string): DaySpec {
  if (field === 'L') return { kind: 'lastDayOfMonth', offset: 0 };
  if (field === 'LW') return { kind: 'lastWeekdayOfMonth' };
  const beforeLast = /^L-(\d+)$/.exec(field);
  if (beforeLast) {
    const offset = Number(beforeLast[1]);
    if (offset > 30) fail(`Day-of-month offset from the last day ${beforeLast[1]} is not in 0-30`);
    return { kind: 'lastDayOfMonth', offset };
  }
  const weekday = /^(\d+)W$/.exec(field);
  if (weekday) return { kind: 'nearestWeekday', day: parseValue(DAY_OF_MONTH, weekday[1] ?? '') };
  return { kind: 'daysOfMonth', days: parseList(DAY_OF_MONTH, field) };
}

function parseDayOfWeek(field: string): DaySpec {
  if (field === 'L') return { kind: 'daysOfWeek', days: [SATURDAY] };
  const nth = /^([^#]+)#(\d+)$/.exec(field);
  if (nth) {
    const n = Number(nth[2]);
    if (n < 1 || n > 5) fail(`Day-of-week occurrence #${nth[2]} is not in 1-5`);
    return { kind: 'nthDayOfWeek', dayOfWeek: parseValue(DAY_OF_WEEK, nth[1] ?? ''), nth: n };
  }
  const last = /^(.+)L$/.exec(field);
  if (last) return { kind: 'lastDayOfWeek', dayOfWeek: parseValue(DAY_OF_WEEK, last[1] ?? '') };
  return { kind: 'daysOfWeek', days: parseList(DAY_OF_WEEK, field) };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 = SUN ... 7 = SAT, as cron counts. */
function dayOfWeek(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

const isWeekday = (dow: number) => dow !== SATURDAY && dow !== SUNDAY;

/** The weekday nearest `day`, staying inside the month; undefined when the month is too short to have `day`. */
function nearestWeekday(year: number, month: number, day: number): number | undefined {
  const last = daysInMonth(year, month);
  if (day > last) return undefined;
  const dow = dayOfWeek(year, month, day);
  if (dow === SATURDAY) return day === 1 ? 3 : day - 1;
  if (dow === SUNDAY) return day === last ? day - 2 : day + 1;
  return day;
}

/** The matching days of one month, ascending: what the search walks. */
function daysOfMonthMatching(spec: DaySpec, year: number, month: number): number[] {
  const last = daysInMonth(year, month);
  const firstDow = dayOfWeek(year, month, 1);
  const inMonth = (day: number) => (day >= 1 && day <= last ? [day] : []);
  switch (spec.kind) {
    case 'daysOfMonth':
      return spec.days.filter((d) => d <= last);
    case 'lastDayOfMonth':
      return inMonth(last - spec.offset);
    case 'lastWeekdayOfMonth': {
      const lastDow = dayOfWeek(year, month, last);
      return [lastDow === SATURDAY ? last - 1 : lastDow === SUNDAY ? last - 2 : last];
    }
    case 'nearestWeekday': {
      const day = nearestWeekday(year, month, spec.day);
      return day === undefined ? [] : [day];
    }
    case 'daysOfWeek': {
      const days: number[] = [];
      for (let day = 1; day <= last; day++) {
        if (spec.days.includes(((firstDow - 1 + day - 1) % 7) + 1)) days.push(day);
      }
      return days;
    }
    case 'lastDayOfWeek': {
      const lastDow = dayOfWeek(year, month, last);
      return [last - ((lastDow - spec.dayOfWeek + 7) % 7)];
    }
    case 'nthDayOfWeek':
      return inMonth(1 + ((spec.dayOfWeek - firstDow + 7) % 7) + 7 * (spec.nth - 1));
  }
}

/**
 * The same rule as daysOfMonthMatching, written as a test of one day rather than an enumeration, so that `matches`
 * (and the property tests built on it) check the search instead of repeating it.
 */
function dayMatches(spec: DaySpec, year: number, month: number, day: number): boolean {
  const last = daysInMonth(year, month);
  const dow = dayOfWeek(year, month, day);
  switch (spec.kind) {
    case 'daysOfMonth':
      return spec.days.includes(day);
    case 'lastDayOfMonth':
      return day === last - spec.offset;
    case 'lastWeekdayOfMonth':
      return isWeekday(dow) && (day === last || (dow === FRIDAY && day >= last - 2));
    case 'nearestWeekday':
      return day === nearestWeekday(year, month, spec.day);
    case 'daysOfWeek':
      return spec.days.includes(dow);
    case 'lastDayOfWeek':
      return dow === spec.dayOfWeek && day + 7 > last;
    case 'nthDayOfWeek':
      return dow === spec.dayOfWeek && Math.ceil(day / 7) === spec.nth;
  }
}

/**
 * Whether the schedule fires at `ms`. A cron schedule fires at whole minutes whose UTC fields all match; a rate
 * schedule at anchor + k * period for k >= 1 (`anchorMs` only matters for rates).
 */
export function matches(schedule: Schedule, ms: number, anchorMs = 0): boolean {
  if (schedule.kind === 'rate') return ms > anchorMs && (ms - anchorMs) % schedule.periodMs === 0;
  if (!Number.isInteger(ms) || ms % MINUTE_MS !== 0 || ms < FIRST_CRON_MS || ms >= END_CRON_MS) return false;
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  return (
    schedule.years.includes(year) &&
    schedule.months.includes(month) &&
    dayMatches(schedule.days, year, month, date.getUTCDate()) &&
    schedule.hours.includes(date.getUTCHours()) &&
    schedule.minutes.includes(date.getUTCMinutes())
  );
}

/**
 * First fire time strictly after `afterMs`. Rates: anchor + k * period with k >= 1. Cron: the next matching whole
 * minute (UTC), or undefined when none is left before the end of 2199.
 */
export function nextFireTime(schedule: Schedule, afterMs: number, anchorMs: number): number | undefined {
  if (!Number.isFinite(afterMs)) throw new RangeError(`afterMs must be a finite number, not ${afterMs}`);
  if (schedule.kind === 'rate') {
    if (!Number.isFinite(anchorMs)) throw new RangeError(`anchorMs must be a finite number, not ${anchorMs}`);
    const periods = Math.max(1, Math.floor((afterMs - anchorMs) / schedule.periodMs) + 1);
    return anchorMs + periods * schedule.periodMs;
  }
  return nextCronTime(schedule, afterMs);
}

/**
 * Walks the allowed years, months, days, hours and minutes in order, starting each level at the start time's value
 * only while every level above it still equals the start time's: the first combination reached is the answer, and
 * a sparse or impossible schedule costs at most one day computation per allowed month up to 2199.
 */
function nextCronTime(schedule: CronSchedule, afterMs: number): number | undefined {
  // Both bounds also keep the start inside what a Date can represent.
  if (afterMs >= END_CRON_MS) return undefined;
  const startMs = Math.max(FIRST_CRON_MS, Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
  const start = new Date(startMs);
  const startYear = start.getUTCFullYear();
  const startMonth = start.getUTCMonth() + 1;
  const startDay = start.getUTCDate();
  const startHour = start.getUTCHours();
  const startMinute = start.getUTCMinutes();

  for (const year of schedule.years) {
    if (year < startYear) continue;
    const sameYear = year === startYear;
    for (const month of schedule.months) {
      if (sameYear && month < startMonth) continue;
      const sameMonth = sameYear && month === startMonth;
      for (const day of daysOfMonthMatching(schedule.days, year, month)) {
        if (sameMonth && day < startDay) continue;
        const sameDay = sameMonth && day === startDay;
        for (const hour of schedule.hours) {
          if (sameDay && hour < startHour) continue;
          const sameHour = sameDay && hour === startHour;
          for (const minute of schedule.minutes) {
            if (sameHour && minute < startMinute) continue;
            return Date.UTC(year, month - 1, day, hour, minute);
          }
        }
      }
    }
  }
  return undefined;
}
