// How numbers, times and ages read on screen.

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

export function fmtInt(n: number): string {
  return integer.format(n);
}

export function fmtRate(perSecond: number): string {
  if (perSecond === 0) return '0/s';
  if (perSecond < 0.01) return `${decimal.format(perSecond * 60)}/min`;
  return `${decimal.format(perSecond)}/s`;
}

export function fmtAge(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

const timeFmt = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

const clockFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** A time of today as a clock time, any other with its date. */
export function fmtTime(ms: number | string | null | undefined): string {
  if (ms === null || ms === undefined || ms === '') return '—';
  const n = typeof ms === 'string' ? Number(ms) : ms;
  if (!Number.isFinite(n) || n <= 0) return '—';
  const date = new Date(n);
  return date.toDateString() === new Date().toDateString() ? clockFmt.format(date) : timeFmt.format(date);
}

export function isoTime(ms: number | string | null | undefined): string {
  const n = typeof ms === 'string' ? Number(ms) : ms;
  return n && Number.isFinite(n) ? new Date(n).toISOString() : '';
}

/** The queue name an SQS ARN ends with. */
export function queueNameOfArn(arn: string | undefined): string | undefined {
  if (!arn) return undefined;
  const i = arn.lastIndexOf(':');
  return i >= 0 ? arn.slice(i + 1) : arn;
}

/** A JSON text pretty-printed, or as it is when it is not JSON. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const preciseFmt = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
});

/** To the millisecond: the steps of one event's trace are often milliseconds apart. */
export function fmtTimePrecise(ms: number): string {
  const date = new Date(ms);
  const clock = preciseFmt.format(date);
  return date.toDateString() === new Date().toDateString() ? clock : `${date.toLocaleDateString()} ${clock}`;
}
