// The transport shared by the clients of Switchyard's extension APIs (SwitchyardIdempotency, SwitchyardFailures):
// AWS JSON 1.0 over the server's one port, `X-Amz-Target: <Service>.<Action>`, unsigned (Switchyard does not check
// signatures). Internal to the package.

/** What an AWS SDK v3 client's resolved `config.endpoint` gives, when the client was given an endpoint. */
export interface SdkEndpoint {
  protocol: string;
  hostname: string;
  port?: number | undefined;
  path: string;
}

/** An AWS SDK v3 client, of which only the configured endpoint is used. */
export interface EndpointClient {
  config: { endpoint?: (() => Promise<SdkEndpoint>) | undefined };
}

/** Why a call failed, for the caller's own error class. */
export interface CallFailure {
  action: string;
  /** The HTTP status of the server's answer; undefined when there was none. */
  status?: number | undefined;
  errorCode: string;
  errorMessage: string;
}

/** The URL of an SDK endpoint (IPv6 hosts in brackets). */
function endpointUrl(e: SdkEndpoint): string {
  const host = e.hostname.includes(':') && !e.hostname.startsWith('[') ? `[${e.hostname}]` : e.hostname;
  const protocol = e.protocol.endsWith(':') ? e.protocol : `${e.protocol}:`;
  return `${protocol}//${host}${e.port !== undefined ? `:${e.port}` : ''}${e.path || '/'}`;
}

/**
 * The server's URL: `endpoint`, else the endpoint `client` was configured with; `who` names the class in the
 * TypeError thrown when there is neither.
 */
export function serverUrl(
  options: { endpoint?: string | undefined; client?: EndpointClient | undefined },
  who: string,
) {
  const endpoint = options.client?.config.endpoint;
  if (options.endpoint !== undefined) return Promise.resolve(new URL(options.endpoint).href);
  if (endpoint) {
    const url = endpoint().then(endpointUrl);
    // Its failure reaches every request; not an unhandled rejection meanwhile.
    url.catch(() => undefined);
    return url;
  }
  throw new TypeError(
    `${who} needs \`endpoint\`, or a \`client\` configured with an endpoint: the Switchyard server's URL (it works ` +
      'only against Switchyard)',
  );
}

/** The error code of an AWS JSON error body: the shape of `__type` (after any `namespace#`), or `code`. */
function errorOf(text: string): { code?: string; message?: string } {
  try {
    const body = JSON.parse(text) as { __type?: unknown; code?: unknown; message?: unknown; Message?: unknown };
    const type = typeof body.__type === 'string' ? body.__type : typeof body.code === 'string' ? body.code : undefined;
    const message =
      typeof body.message === 'string' ? body.message : typeof body.Message === 'string' ? body.Message : undefined;
    return { code: type?.slice(type.lastIndexOf('#') + 1), message };
  } catch {
    return {};
  }
}

/**
 * One request; resolves with the answer's JSON object. Rejects with `fail(…)`: the server's error (`status`, its code
 * and message), no answer (`NetworkingError`, or `TimeoutError` after `timeoutMs`, the failure as `cause`), or an
 * answer that is no JSON object (`InvalidResponse`).
 */
export async function callSwitchyard(call: {
  url: Promise<string>;
  fetch: typeof fetch;
  timeoutMs: number;
  /** `<Service>.`, as in `SwitchyardIdempotency.` */
  targetPrefix: string;
  action: string;
  body: object;
  fail: (failure: CallFailure, options?: ErrorOptions) => Error;
}): Promise<object> {
  const { action, fail } = call;
  const url = await call.url;
  let status: number;
  let text: string;
  try {
    const response = await call.fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `${call.targetPrefix}${action}`,
      },
      body: JSON.stringify(call.body),
      signal: AbortSignal.timeout(call.timeoutMs),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    const timeout = (error as { name?: unknown } | null)?.name === 'TimeoutError';
    throw fail(
      {
        action,
        errorCode: timeout ? 'TimeoutError' : 'NetworkingError',
        errorMessage: timeout
          ? `no answer from ${url} within ${call.timeoutMs} ms`
          : `could not reach ${url}: ${(error as Error)?.message ?? String(error)}`,
      },
      { cause: error },
    );
  }
  if (status < 200 || status > 299) {
    const { code, message } = errorOf(text);
    throw fail({
      action,
      status,
      errorCode: code ?? `Http${status}`,
      errorMessage: message ?? (text.slice(0, 200) || 'no message'),
    });
  }
  try {
    const out: unknown = JSON.parse(text || '{}');
    if (typeof out === 'object' && out !== null && !Array.isArray(out)) return out;
  } catch {
    // Reported below.
  }
  throw fail({
    action,
    status,
    errorCode: 'InvalidResponse',
    errorMessage: `the answer is not a JSON object: ${text.slice(0, 200)}`,
  });
}
