// The console's only way to the server: fetch on /console/api/, typed by the server's contract.
import type {
  AlarmDetail,
  AlarmSummary,
  ApiError,
  BusList,
  CancelMoveTaskRequest,
  DeleteMessagesRequest,
  EventTrace,
  LoginRequest,
  MessagePage,
  MetricSeries,
  MoveMessagesRequest,
  Overview,
  PurgeRequest,
  QueueDetail,
  RedriveRequest,
  RuleInfo,
  RuleTestRequest,
  RuleTestResult,
  SendRequest,
  SessionInfo,
} from '../../src/console/api-types';

export const API_BASE = `${import.meta.env.BASE_URL}api/`;

/** An error answer from the API (or a network failure, as code `NetworkError`). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

let csrfToken: string | undefined;
let onUnauthorized: (() => void) | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when an answer says the session is gone (401), so the login form can come back. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

function isApiError(value: unknown): value is ApiError {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && 'code' in error && 'message' in error;
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method === 'POST') {
    headers['content-type'] = 'application/json';
    if (csrfToken) headers['x-switchyard-csrf'] = csrfToken;
  }
  let response: Response;
  try {
    response = await fetch(API_BASE + path, {
      method,
      headers,
      credentials: 'same-origin',
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
    });
  } catch (error) {
    throw new ApiFailure(0, 'NetworkError', `The server did not answer (${(error as Error).message}).`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    // The login route itself answers 401 for a wrong token: that is not a lost session.
    if (response.status === 401 && path !== 'login') onUnauthorized?.();
    if (isApiError(parsed)) throw new ApiFailure(response.status, parsed.error.code, parsed.error.message);
    throw new ApiFailure(response.status, `HTTP${response.status}`, text.slice(0, 200) || response.statusText);
  }
  return parsed as T;
}

const seg = encodeURIComponent;

export interface MetricQuery {
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
  stat: string;
  period: number;
  range: number;
}

export const api = {
  session: () => request<SessionInfo>('GET', 'session'),
  login: (token: string) => request<SessionInfo>('POST', 'login', { token } satisfies LoginRequest),
  logout: () => request<{ ok: true }>('POST', 'logout'),
  overview: () => request<Overview>('GET', 'overview'),
  queue: (name: string) => request<QueueDetail>('GET', `queues/${seg(name)}`),
  messages: (name: string, limit: number, cursor?: string) =>
    request<MessagePage>('GET', `queues/${seg(name)}/messages?limit=${limit}${cursor ? `&after=${seg(cursor)}` : ''}`),
  downloadUrl: (name: string) => `${API_BASE}queues/${seg(name)}/messages?download=1`,
  send: (name: string, body: SendRequest) => request<{ messageId: string }>('POST', `queues/${seg(name)}/send`, body),
  purge: (name: string) =>
    request<{ ok: true }>('POST', `queues/${seg(name)}/purge`, { confirm: name } satisfies PurgeRequest),
  deleteMessages: (name: string, messageIds: string[]) =>
    request<{ deleted: string[]; notFound: string[] }>('POST', `queues/${seg(name)}/messages/delete`, {
      messageIds,
    } satisfies DeleteMessagesRequest),
  moveMessages: (name: string, body: MoveMessagesRequest) =>
    request<{
      moved: { messageId: string; newMessageId: string; destination: string }[];
      notFound: string[];
      noDestination: string[];
    }>('POST', `queues/${seg(name)}/messages/move`, body),
  redrive: (name: string, body: RedriveRequest) =>
    request<{ taskHandle: string }>('POST', `queues/${seg(name)}/redrive`, body),
  cancelMoveTask: (taskHandle: string) =>
    request<{ moved: number }>('POST', 'move-tasks/cancel', { taskHandle } satisfies CancelMoveTaskRequest),
  buses: () => request<BusList>('GET', 'buses'),
  setRuleEnabled: (bus: string, rule: string, enabled: boolean) =>
    request<RuleInfo>('POST', `buses/${seg(bus)}/rules/${seg(rule)}/${enabled ? 'enable' : 'disable'}`),
  testRule: (bus: string, event: string) =>
    request<RuleTestResult>('POST', `buses/${seg(bus)}/test`, { event } satisfies RuleTestRequest),
  trace: (eventId: string) => request<EventTrace>('GET', `events/${seg(eventId)}/trace`),
  alarms: () => request<{ alarms: AlarmSummary[] }>('GET', 'alarms'),
  alarm: (name: string) => request<AlarmDetail>('GET', `alarms/${seg(name)}`),
  metrics: (q: MetricQuery) => {
    const params = new URLSearchParams({
      namespace: q.namespace,
      metric: q.metric,
      stat: q.stat,
      period: String(q.period),
      range: String(q.range),
    });
    for (const [name, value] of Object.entries(q.dimensions)) params.set(`dim.${name}`, value);
    return request<MetricSeries>('GET', `metrics?${params}`);
  },
};

/** What to show a person for any failure: the API's code and message. */
export function describeError(error: unknown): string {
  if (error instanceof ApiFailure) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
