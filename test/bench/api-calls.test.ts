// The API-call savings benchmark end to end at the small scale, against a real server (a child process, as in the
// benchmark): every event reaches the event-driven designs, coalescing makes fewer calls and no regression, and the
// JSON report is written. About 30 s.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ApiCallsReport, DEFAULTS, runApiCallsBenchmark } from '../../bench/lib/api-calls-run.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const resultsDir = mkdtempSync(path.join(tmpdir(), 'switchyard-api-calls-'));
after(() => rmSync(resultsDir, { recursive: true, force: true }));

test('bench:api-calls --scale small: three designs, no event lost, coalescing saves calls without regressions', async () => {
  const lines: string[] = [];
  const { report, file, latest } = await runApiCallsBenchmark({
    ...DEFAULTS,
    pollSeconds: [...DEFAULTS.pollSeconds],
    scale: 'small',
    durability: 'relaxed',
    repoRoot,
    resultsDir,
    log: (line) => lines.push(line),
  });
  const output = lines.join('\n');

  // The JSON, both files, the same report.
  assert.ok(existsSync(file) && existsSync(latest), output);
  assert.match(path.basename(file), /^api-calls-\d{4}-\d\d-\d\dT.*\.json$/);
  const written = JSON.parse(readFileSync(file, 'utf8')) as ApiCallsReport;
  assert.deepEqual(written, JSON.parse(readFileSync(latest, 'utf8')));
  assert.equal(written.benchmark, 'api-calls');
  assert.equal(written.config.scale, 'small');
  assert.ok(written.machine.cpuCount > 0);
  assert.deepEqual(
    written.designs.map((d) => d.id),
    ['polling-60s', 'polling-10s', 'event-driven', 'coalesced'],
  );

  const run = report.eventRun;
  assert.ok(run.drained, `the queues drained\n${output}`);
  assert.equal(run.publishErrors.total, 0, output);
  assert.equal(run.published, report.workload.publications);
  const design = (id: string) => {
    const d = report.designs.find((x) => x.id === id);
    assert.ok(d, id);
    return d;
  };
  const eventDriven = design('event-driven');
  const coalesced = design('coalesced');
  const perDesign = (id: string) => {
    const d = run.perDesign[id];
    assert.ok(d, id);
    return d;
  };
  const counters = (id: string) => perDesign(id).counters;

  for (const d of [eventDriven, coalesced]) {
    // No event lost: every entity's newest version reached the downstream, every state-changing change was synced.
    assert.equal(d.accounting.entities.newestMissing, 0, `${d.id}: entities whose newest version never arrived`);
    const { inventory, order, return: returns } = report.workload.entities;
    assert.equal(d.accounting.entities.changed, inventory + order + returns);
    assert.equal(d.accounting.staleness.neverSynced, 0, `${d.id}: changes never synced`);
    assert.equal(d.events, report.workload.publications);
    assert.equal(perDesign(d.id).errors.total, 0, `${d.id} errors\n${output}`);
  }
  // Design 2: one call per event.
  assert.equal(counters('event-driven').handled, report.workload.publications);
  assert.equal(eventDriven.apiCalls, report.workload.publications);
  // Design 3: every message handled, coalesced into a call, skipped as stale or recognised as a repeat.
  const c = counters('coalesced');
  const settled = (c.handled ?? 0) + (c.coalesced ?? 0) + (c.skipped ?? 0) + (c.duplicates ?? 0);
  assert.ok(settled >= report.workload.publications, `${settled} settled of ${report.workload.publications}`);
  assert.equal(c.failed, 0);
  assert.ok(
    coalesced.apiCalls < eventDriven.apiCalls,
    `coalesced ${coalesced.apiCalls} calls, event-driven ${eventDriven.apiCalls}`,
  );
  assert.equal(coalesced.regressions, 0, 'coalescing never sends an older version over a newer one');
  assert.equal(coalesced.accounting.entities.finalStateWrong, 0, 'the downstream ends in the workload state');
  assert.ok((report.savingsPercent['event-driven'] ?? 0) > 0);

  // Polling: simulated, every change synced within one interval.
  for (const [id, seconds] of [
    ['polling-60s', 60],
    ['polling-10s', 10],
  ] as const) {
    const p = design(id);
    assert.equal(p.accounting.staleness.neverSynced, 0);
    assert.ok((p.accounting.staleness.maxSeconds ?? Number.POSITIVE_INFINITY) <= seconds);
    assert.equal(p.apiCalls, p.reads + p.pushes);
    assert.ok(p.readsEmpty > 0);
  }
  assert.ok(design('polling-10s').apiCalls > design('polling-60s').apiCalls);
  assert.match(output, /\| 3\. coalesced \+ idempotent/);
});
