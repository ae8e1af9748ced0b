// Polling until something holds, for tests that watch what a server or a consumer does in the background.
import { sleep } from './process.js';

/** What a probe answers while the awaited thing has not happened yet. */
type NotYet = undefined | false;

/**
 * Calls `probe` every 25 ms until it answers something other than `undefined` or `false`, and returns that answer;
 * fails the test (naming `what`) after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 10_000,
): Promise<Exclude<T, NotYet>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as Exclude<T, NotYet>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}
