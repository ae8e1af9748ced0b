// The switchyard/client consumers a test file starts: each is stopped after its test (with a bounded wait) whatever
// the test's outcome, so that no consumer of one test polls on into the next.
import { afterEach } from 'node:test';
import type { Consumer } from '../../src/client/index.js';

/** Registers the after-each stop; `track(consumer)` puts a consumer under it and returns it. */
export function stoppedAfterEach(): { track<C extends Consumer>(consumer: C): C } {
  let live: Consumer[] = [];
  afterEach(async () => {
    await Promise.all(live.map((c) => c.stop({ timeoutMs: 2000 })));
    live = [];
  });
  return {
    track(consumer) {
      live.push(consumer);
      return consumer;
    },
  };
}
