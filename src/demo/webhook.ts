// The seller-sync webhook the reference deployment's low-stock rule posts to. When its URL is a local address (as in
// examples/ecommerce/switchyard.yaml) and the server runs on this machine, the demo answers it itself and counts the
// calls, so that the deliveries succeed instead of being retried for an hour; when the port is taken (someone else
// receives them) or the server is elsewhere, it leaves the webhook alone.
import http from 'node:http';
import { type EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { COMMERCE_BUS, WEBHOOK_RULE } from './topology.js';

export interface WebhookReceiver {
  url: string | undefined;
  listening: boolean;
  /** Why it is not listening. */
  note: string | undefined;
  calls: number;
  close(): Promise<void>;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

async function webhookUrl(events: EventBridgeClient): Promise<string | undefined> {
  try {
    const { Targets = [] } = await events.send(
      new ListTargetsByRuleCommand({ Rule: WEBHOOK_RULE, EventBusName: COMMERCE_BUS }),
    );
    return Targets.map((t) => t.Arn).find((arn): arn is string => typeof arn === 'string' && /^https?:\/\//.test(arn));
  } catch {
    return undefined;
  }
}

export async function startWebhookReceiver(events: EventBridgeClient, endpoint: string): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = {
    url: undefined,
    listening: false,
    note: undefined,
    calls: 0,
    close: async () => {},
  };
  const url = await webhookUrl(events);
  receiver.url = url;
  if (!url) {
    receiver.note = `no webhook target on rule ${WEBHOOK_RULE}`;
    return receiver;
  }
  const target = new URL(url);
  if (target.protocol !== 'http:' || !LOCAL_HOSTS.has(target.hostname)) {
    receiver.note = 'not a local http:// URL: left to its receiver';
    return receiver;
  }
  if (!LOCAL_HOSTS.has(new URL(endpoint).hostname)) {
    receiver.note = 'the server is not on this machine: left to its receiver';
    return receiver;
  }
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST') receiver.calls += 1;
      res.writeHead(204).end();
    });
  });
  const port = Number(target.port || 80);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      receiver.note =
        error.code === 'EADDRINUSE'
          ? `port ${port} is in use: left to its receiver`
          : `cannot listen: ${error.message}`;
      resolve(false);
    });
    server.listen(port, host, () => resolve(true));
  });
  if (!listening) return receiver;
  receiver.listening = true;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return receiver;
}
