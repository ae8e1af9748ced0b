import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { ConsoleApi } from '../console/console-api.js';
import { ConsoleAuth } from '../console/console-auth.js';
import { ConsoleFiles } from '../console/console-static.js';
import { ConsoleViews } from '../console/console-views.js';
import { type Clock, systemClock } from '../core/clock.js';
import { AwsError, isAwsError } from '../core/errors.js';
import { handleSqsJson, queryCompatibleJsonError, SQS_JSON_TARGET_PREFIX } from '../protocol/aws-json.js';
import { EVENTS_TARGET_PREFIX, eventsJsonError, handleEventsJson } from '../protocol/aws-json11.js';
import { handleSqsQuery, sqsQueryError } from '../protocol/aws-query.js';
import { CLOUDWATCH_TARGET_PREFIX, handleCloudWatchJson } from '../protocol/cloudwatch-json.js';
import { cloudWatchQueryError, handleCloudWatchQuery, isCloudWatchQuery } from '../protocol/cloudwatch-query.js';
import { FAILURES_TARGET_PREFIX, handleFailuresJson } from '../protocol/failures-json.js';
import { handleIdempotencyJson, IDEMPOTENCY_TARGET_PREFIX } from '../protocol/idempotency-json.js';
import type { WireResponse } from '../protocol/wire.js';
import type { RequestContext, RequestLog } from '../services/sqs-api.js';
import { VERSION } from '../version.js';
import { resolveConfig, type ServerConfig } from './config.js';
import { createRuntime, type Runtime } from './runtime.js';

/** Largest request body we read; a batch of 1 MiB plus base64 attributes and JSON overhead fits. */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/** The services tests and tools reach into, as the runtime holds them (see runtime.ts). */
type ExposedServices =
  | 'store'
  | 'queues'
  | 'moveTasks'
  | 'eventBuses'
  | 'eventMetrics'
  | 'deliveries'
  | 'archives'
  | 'alarms'
  | 'sqsCloudWatch'
  | 'idempotency'
  | 'eventTrace';

export interface RunningServer extends Pick<Runtime, ExposedServices> {
  readonly url: string;
  readonly port: number;
  readonly config: ServerConfig;
  /** Graceful stop: refuse new connections, end long polls empty, finish requests, close the database. */
  close(): Promise<void>;
}

/** The AWS service a request was for, for the request metrics and log lines (none for /health, /metrics…). */
type RequestService = 'sqs' | 'events' | 'cloudwatch' | 'idempotency' | 'failures';

export interface StartOptions extends Partial<ServerConfig> {
  clock?: Clock;
  logger?: Logger;
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const { clock = systemClock, logger: givenLogger, ...partial } = options;
  const config = resolveConfig(partial);
  // A topology to apply (--config) is read first: a file that is not valid stops the start before anything opens.
  const topology =
    config.config === undefined ? undefined : await (await import('../topology/load.js')).loadTopology(config.config);
  // `name`, not `service`: the request lines carry the AWS service a request was for as `service`.
  const logger = givenLogger ?? pino({ level: config.logLevel, base: { name: 'switchyard' } });
  const runtime = await createRuntime(config, clock, logger);
  const { store, queues, prometheus: metrics } = runtime;
  const services = runtime.sqs;
  const eventsServices = runtime.events;
  const cloudWatchServices = runtime.cloudWatch;

  const consoleApi = new ConsoleApi({
    services: {
      queues,
      moveTasks: runtime.moveTasks,
      eventBuses: runtime.eventBuses,
      metrics: runtime.cloudWatch.metrics,
      alarms: runtime.alarms,
      eventTrace: runtime.eventTrace,
    },
    views: new ConsoleViews(
      {
        queues,
        moveTasks: runtime.moveTasks,
        eventBuses: runtime.eventBuses,
        metrics: runtime.cloudWatch.metrics,
        alarms: runtime.alarms,
      },
      () => clock.now(),
    ),
    auth: new ConsoleAuth({ host: config.host, token: config.consoleToken }),
    files: new ConsoleFiles(),
    info: { version: VERSION, region: config.region, accountId: config.accountId },
  });

  /**
   * The AWS JSON protocol APIs, dispatched by their `X-Amz-Target` prefix: AWS's three, and Switchyard's own
   * extensions (the keys of switchyard/client's SwitchyardIdempotencyStore, the failure records of its
   * SwitchyardFailureLog).
   */
  const JSON_APIS: {
    prefix: string;
    service: RequestService;
    handle: (ctx: RequestContext, target: string, body: Buffer, path: string) => Promise<WireResponse>;
    renderError: (error: AwsError) => WireResponse;
  }[] = [
    {
      prefix: SQS_JSON_TARGET_PREFIX,
      service: 'sqs',
      handle: (ctx, target, body, path) => handleSqsJson(services, ctx, target, body, path),
      renderError: queryCompatibleJsonError,
    },
    {
      prefix: EVENTS_TARGET_PREFIX,
      service: 'events',
      handle: (ctx, target, body) => handleEventsJson(eventsServices, ctx, target, body),
      renderError: eventsJsonError,
    },
    {
      prefix: CLOUDWATCH_TARGET_PREFIX,
      service: 'cloudwatch',
      handle: (ctx, target, body) => handleCloudWatchJson(cloudWatchServices, ctx, target, body),
      renderError: queryCompatibleJsonError,
    },
    {
      prefix: IDEMPOTENCY_TARGET_PREFIX,
      service: 'idempotency',
      handle: (ctx, target, body) => handleIdempotencyJson(runtime.idempotency, ctx, target, body),
      renderError: queryCompatibleJsonError,
    },
    {
      prefix: FAILURES_TARGET_PREFIX,
      service: 'failures',
      handle: (ctx, target, body) => handleFailuresJson(queues, ctx, target, body),
      renderError: queryCompatibleJsonError,
    },
  ];

  let inFlight = 0;
  let stopping = false;
  let drained: (() => void) | undefined;
  /** Each request's log line while it is handled: the protocol layer adds what it names, the error mapper its error. */
  const requestLogs = new WeakMap<http.ServerResponse, RequestLog & { requestId: string; error?: AwsError }>();

  const server = http.createServer((req, res) => {
    inFlight += 1;
    res.on('close', () => {
      inFlight -= 1;
      if (stopping && inFlight === 0) drained?.();
    });
    if (stopping) res.setHeader('connection', 'close');
    handle(req, res).catch((error: unknown) => {
      logger.error(
        { requestId: requestLogs.get(res)?.requestId, err: error },
        'request failed outside the error mapper',
      );
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end();
    });
  });
  server.keepAliveTimeout = 65_000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    const log: RequestLog & { requestId: string; error?: AwsError } = { requestId };
    requestLogs.set(res, log);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const target = headerValue(req, 'x-amz-target');
    let action = target ?? `${req.method} ${url.pathname}`;
    const jsonApi = target === undefined ? undefined : JSON_APIS.find((api) => target.startsWith(api.prefix));
    /** The AWS service a request was for, for the request metrics (none for /health, /metrics…). */
    let service: RequestService | undefined;
    let response: WireResponse;

    if (req.method === 'GET' && url.pathname === '/health') {
      response = {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: stopping ? 'stopping' : 'ok', version: VERSION, store: store.kind }),
      };
    } else if (req.method === 'GET' && url.pathname === '/metrics') {
      response = { status: 200, headers: { 'content-type': metrics.contentType }, body: await metrics.render() };
    } else if (!target && !url.searchParams.has('Action') && ConsoleApi.owns(url.pathname)) {
      // The web console and its JSON API (the CLI's `queues` reads it too).
      response = await consoleApi.handle(req, url, contextFor(req, res), () => readBody(req));
    } else if (req.method === 'POST' && jsonApi !== undefined && target !== undefined) {
      action = target.slice(jsonApi.prefix.length);
      service = jsonApi.service;
      response = await answerJson(
        req,
        res,
        (ctx, body) => jsonApi.handle(ctx, target, body, url.pathname),
        jsonApi.renderError,
      );
    } else if (req.method === 'POST' && target) {
      response = queryCompatibleJsonError(
        toAwsError(new AwsError('UnknownOperation', `Unknown operation ${target}.`), res),
      );
    } else if (req.method === 'POST' || url.searchParams.has('Action')) {
      ({ service, action, response } = await answerQuery(req, res, url, requestId));
    } else {
      response = {
        status: 404,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'Not found' }),
      };
    }

    res.writeHead(response.status, {
      ...response.headers,
      'x-amzn-requestid': requestId,
      'content-length': Buffer.byteLength(response.body),
    });
    res.end(response.body);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (service !== undefined && config.metrics) metrics.request(service, action, response.status, seconds);
    // One line per request: debug when it succeeds, info for a client error (with its code; not logged
    // elsewhere), error for a server error (whose cause the error mapper logged, with its stack).
    const status = response.status;
    const level = status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
    if (logger.isLevelEnabled(level)) {
      const error = log.error;
      logger[level](
        {
          requestId,
          service,
          action,
          ...log.resource,
          status,
          ms: Math.round(seconds * 1e6) / 1000,
          ...(error ? { code: error.spec.shape, message: error.message } : {}),
        },
        'request',
      );
    }
  }

  /** A JSON-protocol request: its body through `handle`, any failure through `renderError`. */
  async function answerJson(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    handle: (ctx: RequestContext, body: Buffer) => Promise<WireResponse>,
    renderError: (error: AwsError) => WireResponse,
  ): Promise<WireResponse> {
    try {
      return await handle(contextFor(req, res), await readBody(req));
    } catch (error) {
      return renderError(toAwsError(error, res));
    }
  }

  /**
   * AWS Query: the form in the query string and, for a form POST, in the body (which wins on a clash); for
   * CloudWatch by the credential scope or `Version=2010-08-01` (see `isCloudWatchQuery`), else for SQS.
   */
  async function answerQuery(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    requestId: string,
  ): Promise<{ service: 'sqs' | 'cloudwatch'; action: string; response: WireResponse }> {
    const authorization = headerValue(req, 'authorization');
    const params = new URLSearchParams(url.searchParams);
    const serviceOf = () => (isCloudWatchQuery(authorization, params) ? 'cloudwatch' : 'sqs');
    const actionOf = () => params.getAll('Action').at(-1) ?? 'Query';
    try {
      const body = req.method === 'GET' ? Buffer.alloc(0) : await readBody(req);
      const contentType = (headerValue(req, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
      if (contentType === 'application/x-www-form-urlencoded') {
        for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params.append(key, value);
      }
      const ctx = contextFor(req, res);
      const response =
        serviceOf() === 'cloudwatch'
          ? await handleCloudWatchQuery(cloudWatchServices, ctx, params, requestId)
          : await handleSqsQuery(services, ctx, params, url.pathname, requestId);
      return { service: serviceOf(), action: actionOf(), response };
    } catch (error) {
      const render = serviceOf() === 'cloudwatch' ? cloudWatchQueryError : sqsQueryError;
      return { service: serviceOf(), action: actionOf(), response: render(toAwsError(error, res), requestId) };
    }
  }

  /**
   * The error mapper: an AWS error as it is, anything else as InternalFailure, logged here once with its
   * stack. Either way the request's log line reports the error's code.
   */
  function toAwsError(error: unknown, res: http.ServerResponse): AwsError {
    const log = requestLogs.get(res);
    let mapped: AwsError;
    if (isAwsError(error)) mapped = error;
    else {
      logger.error({ requestId: log?.requestId, err: error }, 'unexpected error');
      mapped = new AwsError('InternalFailure', 'The request processing has failed because of an unknown error.');
    }
    if (log) log.error = mapped;
    return mapped;
  }

  function contextFor(req: http.IncomingMessage, res: http.ServerResponse): RequestContext {
    const controller = new AbortController();
    // A client that hangs up ends its long poll; the messages it would have got stay in the queue. The socket's end
    // (the client's FIN) is seen before the response's close, so a poll woken at that moment does not take them.
    const gone = () => {
      if (!res.writableFinished) controller.abort();
    };
    res.on('close', gone);
    req.socket.once('end', gone);
    res.once('close', () => req.socket.off('end', gone));
    const credential = /Credential=([^/,\s]+)\//.exec(headerValue(req, 'authorization') ?? '')?.[1];
    return {
      accountId: config.accountId,
      region: config.region,
      baseUrl: `http://${req.headers.host ?? `${config.host}:${config.port}`}`,
      senderId: credential ?? config.accountId,
      signal: controller.signal,
      log: requestLogs.get(res),
    };
  }

  runtime.startWorkers();

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // The port is taken, say: leave the database closed cleanly rather than to the exit.
    await runtime.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info(
    { url, dataDir: config.dataDir, durability: config.durability, version: VERSION },
    'switchyard listening',
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stopping = true;
      const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Workers first (which also ends pending long polls), then the requests still answering, then the store.
      await runtime.stopWorkers();
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      server.closeAllConnections();
      await listenerClosed;
      await runtime.close();
      logger.info('switchyard stopped');
    })();
    return closing;
  };

  if (topology !== undefined && config.config !== undefined) {
    try {
      const { applyConfigTopology, selfUrl } = await import('../topology/serve-config.js');
      await applyConfigTopology(topology, {
        file: config.config,
        url: selfUrl(config.host, port),
        region: config.region,
        logger,
      });
    } catch (error) {
      await close();
      throw error;
    }
  }

  return {
    url,
    port,
    config,
    store,
    queues,
    moveTasks: runtime.moveTasks,
    eventBuses: runtime.eventBuses,
    eventMetrics: runtime.eventMetrics,
    deliveries: runtime.deliveries,
    archives: runtime.archives,
    alarms: runtime.alarms,
    sqsCloudWatch: runtime.sqsCloudWatch,
    idempotency: runtime.idempotency,
    eventTrace: runtime.eventTrace,
    close,
  };
}

function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep draining an oversized body so that the client gets our answer instead of a reset.
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_REQUEST_BYTES) {
        reject(new AwsError('RequestEntityTooLarge', `Request body is larger than ${MAX_REQUEST_BYTES} bytes.`));
      } else {
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', reject);
  });
}
