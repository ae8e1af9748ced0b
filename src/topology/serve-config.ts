/**
 * `switchyard serve --config switchyard.yaml`: the server applies a topology to itself once it listens, through
 * its own public API with the same code as `switchyard apply`, and logs the plan's summary.
 */
import type { Logger } from 'pino';
import { ApplyError, applyTopology, topologyClients } from './apply.js';
import type { Topology } from './model.js';
import { formatChange, summarize } from './plan.js';

/** The URL a server listening on `host:port` reaches itself at (a wildcard address is reached on loopback). */
export function selfUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/**
 * Plans and applies `topology` on the server at `url`; throws an Error naming the file and the change that failed
 * (or the plan's errors).
 */
export async function applyConfigTopology(
  topology: Topology,
  options: { file: string; url: string; region: string; logger: Logger },
): Promise<void> {
  const { file, logger } = options;
  const clients = topologyClients({
    endpoint: options.url,
    region: options.region,
    credentials: { accessKeyId: 'switchyard', secretAccessKey: 'switchyard' },
  });
  try {
    const { plan, done } = await applyTopology(topology, clients, {
      onChange: (change) => logger.debug({ config: file, change: formatChange(change).join(' ') }, 'topology change'),
    });
    const summary = summarize(plan);
    logger.info(
      {
        config: file,
        create: summary.create,
        update: summary.update,
        delete: summary.delete,
        unmanaged: plan.unmanaged.length,
        applied: done.length,
      },
      plan.changes.length === 0
        ? 'topology: no changes'
        : `topology applied: ${summary.create} created, ${summary.update} updated, ${summary.delete} deleted`,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const made =
      error instanceof ApplyError && error.done.length > 0 ? ` (${error.done.length} changes made before)` : '';
    throw new Error(`--config ${file}: ${message}${made}`, { cause: error });
  } finally {
    clients.destroy();
  }
}
