import type http from 'node:http';
import { z } from 'zod';
import { isAwsError } from '../core/errors.js';
import type { WireResponse } from '../protocol/wire.js';
import type { EventTraceService } from '../services/event-trace-service.js';
import type { RequestContext } from '../services/sqs-api.js';
import type { ApiError, MessagePage, PeekedMessage, SessionInfo } from './api-types.js';
import type { ConsoleAuth } from './console-auth.js';
import type { ConsoleFiles } from './console-static.js';
import type { ConsoleServices, ConsoleViews } from './console-views.js';

/** Messages a download holds at most: a whole queue could be millions, and the answer is built in memory. */
const MAX_DOWNLOAD_MESSAGES = 50_000;

export interface ConsoleApiOptions {
  services: ConsoleServices & { eventTrace: EventTraceService };
  views: ConsoleViews;
  auth: ConsoleAuth;
  files: ConsoleFiles;
  info: { version: string; region: string; accountId: string };
}

type Handler = (call: Call) => Promise<unknown>;

interface Call {
  ctx: RequestContext;
  params: string[];
  query: URLSearchParams;
  body: () => Promise<unknown>;
}

class ConsoleError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const name = z.string().min(1).max(80);
const messageIds = z.array(z.string().min(1).max(100)).min(1).max(1000);
const SCHEMAS = {
  login: z.object({ token: z.string().max(1024) }),
  send: z.object({
    body: z.string().min(1),
    delaySeconds: z.number().int().min(0).max(900).optional(),
    messageGroupId: z.string().min(1).max(128).optional(),
    messageDeduplicationId: z.string().min(1).max(128).optional(),
    attributes: z.record(z.string().min(1).max(256), z.string()).optional(),
  }),
  purge: z.object({ confirm: z.string() }),
  delete: z.object({ messageIds }),
  move: z.object({ messageIds, destination: name.optional() }),
  redrive: z.object({ destination: name.optional(), maxPerSecond: z.number().int().min(1).max(500).optional() }),
  cancel: z.object({ taskHandle: z.string().min(1) }),
  test: z.object({ event: z.string().min(1) }),
};

/**
 * The console's HTTP side: its JSON API under /console/api/ and its built pages under /console/. Every route is a
 * call to the services the AWS APIs use (through ConsoleViews for what pages show), after ConsoleAuth has let the
 * request in; service errors keep their AWS code and HTTP status.
 */
export class ConsoleApi {
  private readonly routes: { method: 'GET' | 'POST'; pattern: RegExp; handler: Handler }[] = [];

  constructor(private readonly options: ConsoleApiOptions) {
    const { services, views } = options;
    const { queues, moveTasks, eventBuses } = services;
    const queueUrl = (ctx: RequestContext, queue: string) =>
      queues.queueUrl(ctx, { accountId: ctx.accountId, name: queue });
    const queueArn = (ctx: RequestContext, queue: string) =>
      queues.queueArn(ctx, { accountId: ctx.accountId, name: queue });
    const get = (pattern: RegExp, handler: Handler) => this.routes.push({ method: 'GET', pattern, handler });
    const post = (pattern: RegExp, handler: Handler) => this.routes.push({ method: 'POST', pattern, handler });
    const param = (call: Call, i: number) => call.params[i] ?? '';

    get(/^overview$/, ({ ctx }) => views.overview(ctx));
    // The CLI's `switchyard queues` reads this one.
    get(/^queues$/, async ({ ctx }) => ({ queues: await queues.describeQueues(ctx) }));
    get(/^queues\/([^/]+)$/, (call) => views.queueDetail(call.ctx, param(call, 0)));
    get(/^queues\/([^/]+)\/messages$/, async (call) => {
      const queue = param(call, 0);
      if (call.query.get('download') === '1') return this.download(call.ctx, queue);
      const limit = call.query.has('limit') ? Number(call.query.get('limit')) : undefined;
      const after = call.query.get('after') ?? undefined;
      return queues.peekMessages(call.ctx, {
        queueName: queue,
        ...(limit !== undefined ? { limit } : {}),
        ...(after !== undefined ? { after } : {}),
      });
    });
    post(/^queues\/([^/]+)\/send$/, async (call) => {
      const input = parse(SCHEMAS.send, await call.body());
      const sent = await queues.sendMessage(call.ctx, {
        QueueUrl: queueUrl(call.ctx, param(call, 0)),
        MessageBody: input.body,
        ...(input.delaySeconds !== undefined ? { DelaySeconds: input.delaySeconds } : {}),
        ...(input.messageGroupId !== undefined ? { MessageGroupId: input.messageGroupId } : {}),
        ...(input.messageDeduplicationId !== undefined ? { MessageDeduplicationId: input.messageDeduplicationId } : {}),
        ...(input.attributes && Object.keys(input.attributes).length > 0
          ? {
              MessageAttributes: Object.fromEntries(
                Object.entries(input.attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
              ),
            }
          : {}),
      });
      return { messageId: sent.MessageId };
    });
    post(/^queues\/([^/]+)\/purge$/, async (call) => {
      const queue = param(call, 0);
      const { confirm } = parse(SCHEMAS.purge, await call.body());
      if (confirm !== queue) {
        throw new ConsoleError(400, 'ConfirmationRequired', `To purge, confirm with the queue's name, ${queue}.`);
      }
      await queues.purgeQueue(call.ctx, { QueueUrl: queueUrl(call.ctx, queue) });
      return { ok: true };
    });
    post(/^queues\/([^/]+)\/messages\/delete$/, async (call) => {
      const input = parse(SCHEMAS.delete, await call.body());
      return queues.deleteMessagesById(call.ctx, { queueName: param(call, 0), messageIds: input.messageIds });
    });
    post(/^queues\/([^/]+)\/messages\/move$/, async (call) => {
      const input = parse(SCHEMAS.move, await call.body());
      return queues.moveMessagesById(call.ctx, {
        queueName: param(call, 0),
        messageIds: input.messageIds,
        ...(input.destination !== undefined ? { destinationQueueName: input.destination } : {}),
      });
    });
    post(/^queues\/([^/]+)\/redrive$/, async (call) => {
      const input = parse(SCHEMAS.redrive, await call.body());
      // Looked up first, so that a queue that is not there is named as such rather than as a bad ARN.
      await queues.resolveQueue(call.ctx, queueUrl(call.ctx, param(call, 0)));
      const started = await moveTasks.start(call.ctx, {
        SourceArn: queueArn(call.ctx, param(call, 0)),
        ...(input.destination !== undefined ? { DestinationArn: queueArn(call.ctx, input.destination) } : {}),
        ...(input.maxPerSecond !== undefined ? { MaxNumberOfMessagesPerSecond: input.maxPerSecond } : {}),
      });
      return { taskHandle: started.TaskHandle };
    });
    post(/^move-tasks\/cancel$/, async (call) => {
      const input = parse(SCHEMAS.cancel, await call.body());
      const cancelled = await moveTasks.cancel(call.ctx, { TaskHandle: input.taskHandle });
      return { moved: cancelled.ApproximateNumberOfMessagesMoved };
    });
    get(/^buses$/, ({ ctx }) => views.busList(ctx));
    post(/^buses\/([^/]+)\/rules\/([^/]+)\/(enable|disable)$/, async (call) => {
      const input = { Name: param(call, 1), EventBusName: param(call, 0) };
      if (param(call, 2) === 'enable') await eventBuses.enableRule(call.ctx, input);
      else await eventBuses.disableRule(call.ctx, input);
      return views.ruleInfoByName(call.ctx, input.EventBusName, input.Name);
    });
    post(/^buses\/([^/]+)\/test$/, async (call) => {
      const input = parse(SCHEMAS.test, await call.body());
      return eventBuses.testEvent(call.ctx, { EventBusName: param(call, 0), Event: input.event });
    });
    get(/^events\/([^/]+)\/trace$/, (call) => services.eventTrace.trace(call.ctx.accountId, param(call, 0)));
    get(/^alarms$/, async ({ ctx }) => ({ alarms: await views.alarmSummaries(ctx) }));
    get(/^alarms\/([^/]+)$/, (call) => views.alarmDetail(call.ctx, param(call, 0)));
    get(/^metrics$/, (call) => {
      const q = call.query;
      const dimensions = [...q.entries()]
        .filter(([key]) => key.startsWith('dim.'))
        .map(([key, value]) => ({ Name: key.slice(4), Value: value }));
      const range = Number(q.get('range') ?? 3600);
      if (!Number.isInteger(range) || range < 300 || range > 1_209_600) {
        throw new ConsoleError(400, 'InvalidParameterValue', 'range must be whole seconds from 300 to 1209600.');
      }
      const namespace = q.get('namespace');
      const metric = q.get('metric');
      if (!namespace || !metric) {
        throw new ConsoleError(400, 'MissingParameter', 'namespace and metric are required.');
      }
      return views.metricSeries(
        call.ctx,
        { namespace, metric, dimensions, stat: q.get('stat') ?? 'Average', period: Number(q.get('period') ?? 60) },
        range,
      );
    });
  }

  /** Whether a path is the console's. */
  static owns(pathname: string): boolean {
    return pathname === '/console' || pathname.startsWith('/console/');
  }

  async handle(
    req: http.IncomingMessage,
    url: URL,
    ctx: RequestContext,
    readBody: () => Promise<Buffer>,
  ): Promise<WireResponse> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (!path.startsWith('/console/api/')) {
      if (method !== 'GET' && method !== 'HEAD')
        return errorResponse(405, 'MethodNotAllowed', `${method} is not allowed here.`);
      return this.options.files.serve(path);
    }
    const route = path.slice('/console/api/'.length);
    try {
      if (route === 'session' && method === 'GET') return json(200, this.session(req));
      if (route === 'login' && method === 'POST') return await this.login(readBody);
      const access = this.options.auth.check(req, method === 'POST');
      if (!access.ok) return errorResponse(access.status, access.code, access.message);
      if (route === 'logout' && method === 'POST') {
        return {
          ...json(200, { ok: true }),
          headers: { ...JSON_HEADERS, 'set-cookie': this.options.auth.logout(req) },
        };
      }
      let methodMatched = false;
      for (const candidate of this.routes) {
        const match = candidate.pattern.exec(route);
        if (!match) continue;
        if (candidate.method !== method) {
          methodMatched = true;
          continue;
        }
        const params = match.slice(1).map((p) => decodeURIComponent(p));
        const result = await candidate.handler({
          ctx,
          params,
          query: url.searchParams,
          body: async () => parseJson(await readBody()),
        });
        if (result instanceof DownloadResult) return result.response;
        return json(200, result);
      }
      return methodMatched
        ? errorResponse(405, 'MethodNotAllowed', `${method} is not allowed on ${path}.`)
        : errorResponse(404, 'NotFound', `No console API at ${path}.`);
    } catch (error) {
      if (error instanceof ConsoleError) return errorResponse(error.status, error.code, error.message);
      if (isAwsError(error)) return errorResponse(error.spec.status, error.spec.shape, error.message);
      if (error instanceof URIError) return errorResponse(400, 'InvalidParameterValue', 'The path is not valid.');
      throw error;
    }
  }

  private session(req: http.IncomingMessage): SessionInfo {
    const { auth, info } = this.options;
    const access = auth.authenticated(req) ? auth.check(req, false) : undefined;
    return {
      authRequired: auth.required,
      authenticated: access?.ok === true,
      locked: !auth.configured,
      ...(access?.ok && access.csrfToken !== undefined ? { csrfToken: access.csrfToken } : {}),
      version: info.version,
      region: info.region,
      accountId: info.accountId,
    };
  }

  private async login(readBody: () => Promise<Buffer>): Promise<WireResponse> {
    const { auth, info } = this.options;
    if (!auth.required) {
      return errorResponse(400, 'LoginNotRequired', 'This console listens on loopback and needs no login.');
    }
    if (!auth.configured) {
      return errorResponse(403, 'ConsoleLocked', 'No console token is configured on this server.');
    }
    const { token } = parse(SCHEMAS.login, parseJson(await readBody()));
    const session = auth.login(token);
    if (!session) return errorResponse(401, 'Unauthorized', 'That is not the console token.');
    const body: SessionInfo = {
      authRequired: true,
      authenticated: true,
      locked: false,
      csrfToken: session.csrfToken,
      version: info.version,
      region: info.region,
      accountId: info.accountId,
    };
    return { status: 200, headers: { ...JSON_HEADERS, 'set-cookie': session.cookie }, body: JSON.stringify(body) };
  }

  /** Every message of a queue (up to MAX_DOWNLOAD_MESSAGES), as a JSON attachment. */
  private async download(ctx: RequestContext, queue: string): Promise<DownloadResult> {
    const messages: PeekedMessage[] = [];
    let after: string | undefined;
    do {
      const page: MessagePage = await this.options.services.queues.peekMessages(ctx, {
        queueName: queue,
        limit: 100,
        ...(after !== undefined ? { after } : {}),
      });
      messages.push(...page.messages);
      after = page.nextCursor;
    } while (after !== undefined && messages.length < MAX_DOWNLOAD_MESSAGES);
    const truncated = after !== undefined;
    const body = JSON.stringify(
      { queue, exportedAt: new Date().toISOString(), truncated, messages: messages.slice(0, MAX_DOWNLOAD_MESSAGES) },
      null,
      2,
    );
    const filename = `${queue.replace(/[^\w.-]/g, '_')}-messages.json`;
    return new DownloadResult({
      status: 200,
      headers: { ...JSON_HEADERS, 'content-disposition': `attachment; filename="${filename}"` },
      body,
    });
  }
}

class DownloadResult {
  constructor(readonly response: WireResponse) {}
}

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

function json(status: number, value: unknown): WireResponse {
  return { status, headers: JSON_HEADERS, body: JSON.stringify(value) };
}

function errorResponse(status: number, code: string, message: string): WireResponse {
  const body: ApiError = { error: { code, message } };
  return json(status, body);
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ConsoleError(400, 'SerializationException', 'The request body is not valid JSON.');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new ConsoleError(400, 'InvalidParameterValue', `${where}${issue?.message ?? 'invalid request'}`);
}
