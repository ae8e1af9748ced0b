/**
 * Reading `switchyard.yaml`: YAML (with node positions) → shape checks (zod, schema.ts) → cross-reference and
 * semantic checks → the normalised {@link Topology}. Every problem is reported with its file, line, column and field
 * path, and all of them are collected before a {@link TopologyError} is thrown (a YAML syntax error stops the
 * loader early: what follows it cannot be trusted).
 */
import { readFile } from 'node:fs/promises';
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { MAX_EVALUATION_SECONDS, MAX_EVALUATION_SECONDS_SHORT_PERIOD } from '../core/alarms.js';
import { MAX_EVENT_PATTERN_LENGTH, validateEventPattern } from '../core/event-pattern/index.js';
import {
  InvalidInputTransformerError,
  isValidJsonPath,
  MAX_INPUT_TEMPLATE_LENGTH,
  validateInputTransformer,
} from '../core/input-transformer.js';
import { InvalidStatisticError, isStandardStatistic, parseStatistic } from '../core/metrics/statistics.js';
import { parseScheduleExpression, ScheduleExpressionError } from '../core/schedule.js';
import { didYouMean, formatPath, type PathSegment, TopologyError, type TopologyIssue } from './errors.js';
import {
  type AlarmAction,
  DEFAULT_BUS,
  QUEUE_DEFAULTS,
  RETRY_POLICY_DEFAULTS,
  type RuleTrigger,
  type TargetDestination,
  type TargetInput,
  type Topology,
  type TopologyAlarm,
  type TopologyBus,
  type TopologyQueue,
  type TopologyRule,
  type TopologyTarget,
} from './model.js';
import {
  type AlarmDocument,
  AlarmSchema,
  type BusDocument,
  BusSchema,
  type QueueDocument,
  QueueSchema,
  type RuleDocument,
  RuleSchema,
  type TargetDocument,
  TopologySchema,
} from './schema.js';

/** The file name `loadTopology` and the CLI look for when none is given. */
export const DEFAULT_TOPOLOGY_FILE = 'switchyard.yaml';

const MAX_TAGS = 50;
const MAX_DIMENSIONS = 30;
const MAX_INPUT_LENGTH = 8192;
const FIFO_ONLY_KEYS = ['contentBasedDeduplication', 'deduplicationScope', 'fifoThroughputLimit'] as const;
const DESTINATION_KEYS = ['queue', 'bus', 'url'] as const;
const INPUT_KEYS = ['input', 'inputPath', 'inputTransformer'] as const;

/** Reads and checks a topology file; throws {@link TopologyError} listing every problem. */
export async function loadTopology(path: string = DEFAULT_TOPOLOGY_FILE): Promise<Topology> {
  const text = await readFile(path, 'utf8');
  return parseTopology(text, path);
}

/**
 * Checks topology text; `fileName` is what the issues name (`switchyard.yaml:12:7: …`). Returns the normalised
 * topology or throws {@link TopologyError} listing every problem.
 */
export function parseTopology(text: string, fileName: string = DEFAULT_TOPOLOGY_FILE): Topology {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  const syntax = [...doc.errors, ...doc.warnings];
  if (syntax.length > 0) {
    throw new TopologyError(
      sortIssues(
        syntax.map((error) => {
          const { line, col } = lines.linePos(error.pos[0]);
          return { file: fileName, line, column: col, path: '', message: yamlMessage(error.message) };
        }),
      ),
    );
  }
  const checker = new Checker(fileName, doc, lines);
  const topology = checker.run(doc.toJS({ maxAliasCount: 1000 }) as unknown);
  if (checker.issues.length > 0) throw new TopologyError(sortIssues(dedupe(checker.issues)));
  if (!topology) throw new Error('topology checks passed without a topology');
  return topology;
}

/** yaml's messages end with a source excerpt when prettified; ours are not, but may run over several lines. */
function yamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return `YAML: ${first.replace(/\s*at line \d+, column \d+:?$/, '')}`;
}

function sortIssues(issues: TopologyIssue[]): TopologyIssue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => a.issue.line - b.issue.line || a.issue.column - b.issue.column || a.index - b.index)
    .map(({ issue }) => issue);
}

function dedupe(issues: readonly TopologyIssue[]): TopologyIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.line}:${issue.column}:${issue.path}:${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---- helpers ----------------------------------------------------------------------------------------

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isFifoName = (name: string) => name.endsWith('.fifo');

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let current = data;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isRecord(current) && typeof segment === 'string' && Object.hasOwn(current, segment)) {
      current = current[segment];
    } else return undefined;
  }
  return current;
}

/** How a value the file gave looks, for "got …" in messages. */
function describe(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return String(value);
}

/** The keys a strict object of the schema allows at `path` (for "did you mean"). */
function knownKeys(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  const unwrap = (s: z.ZodType): z.ZodType => {
    let current = s;
    while (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) {
      current = current.unwrap() as z.ZodType;
    }
    return current;
  };
  let current: z.ZodType | undefined = schema;
  for (const segment of path) {
    if (!current) return [];
    const s = unwrap(current);
    if (s instanceof z.ZodObject) current = (s.shape as Record<string, z.ZodType>)[String(segment)];
    else if (s instanceof z.ZodRecord) current = s.valueType as z.ZodType;
    else if (s instanceof z.ZodArray) current = s.element as z.ZodType;
    else return [];
  }
  if (!current) return [];
  const s = unwrap(current);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** The defined keys among `keys` that `doc` sets. */
function present<K extends string>(doc: Record<string, unknown>, keys: readonly K[]): K[] {
  return keys.filter((key) => doc[key] !== undefined);
}

const quote = JSON.stringify;

// ---- the checks -------------------------------------------------------------------------------------

class Checker {
  readonly issues: TopologyIssue[] = [];
  /** Every declared name, valid or not, so that one bad resource does not make references to it unknown too. */
  private queueNames = new Set<string>();
  private busNames = new Set<string>();
  private ruleNames = new Set<string>();
  /** Well-formed queue documents, for checks that need their settings. */
  private queueDocs = new Map<string, QueueDocument>();
  private ruleBuses = new Map<string, string>();
  /** What {@link salvage} took out of the resource being checked: problems that may follow from it are not reported. */
  private suppressed: readonly Removed[] = [];

  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  run(input: unknown): Topology | undefined {
    const data = this.prepare(input);
    if (data === null || data === undefined) {
      this.report([], 'the file is empty: a topology starts with version: 1');
      return undefined;
    }
    const parsed = TopologySchema.safeParse(data);
    if (!parsed.success) for (const issue of parsed.error.issues) this.zodIssue(issue, data);

    const sections = isRecord(data) ? data : {};
    const entries = (key: string): [string, unknown][] =>
      isRecord(sections[key]) ? Object.entries(sections[key] as Record<string, unknown>) : [];
    for (const [name] of entries('queues')) this.queueNames.add(name);
    for (const [name] of entries('buses')) this.busNames.add(name);
    for (const [name] of entries('rules')) this.ruleNames.add(name);

    for (const [name, value] of entries('rules')) {
      const bus = isRecord(value) && typeof value.bus === 'string' ? value.bus : DEFAULT_BUS;
      this.ruleBuses.set(name, bus);
    }

    // Each resource is then checked on its own, so that one with a shape problem still gets the other checks.
    const each = <D, R>(
      section: string,
      schema: z.ZodType<D>,
      check: (name: string, doc: D, partial: boolean) => R | undefined,
    ): R[] => {
      const out: R[] = [];
      for (const [name, value] of entries(section)) {
        const salvaged = salvage(schema, value, [section, name]);
        if (!salvaged) continue;
        this.suppressed = salvaged.removed;
        const result = check(name, salvaged.doc, salvaged.removed.length > 0);
        this.suppressed = [];
        if (result !== undefined) out.push(result);
      }
      return out;
    };
    const queueDocs: [string, QueueDocument][] = [];
    const queues = each('queues', QueueSchema, (name, doc: QueueDocument, partial) => {
      queueDocs.push([name, doc]);
      if (!partial) this.queueDocs.set(name, doc);
      return this.queue(name, doc);
    });
    this.deadLetterCycles(queueDocs);
    const buses = each('buses', BusSchema, (name, doc: BusDocument) => this.bus(name, doc));
    const rules = each('rules', RuleSchema, (name, doc: RuleDocument) => this.rule(name, doc));
    const alarms = each('alarms', AlarmSchema, (name, doc: AlarmDocument) => this.alarm(name, doc));
    if (!parsed.success || this.issues.length > 0) return undefined;
    return { version: 1, queues, buses, rules, alarms };
  }

  /** `name:` with nothing after it declares a queue or bus with every default, as `name: {}` does. */
  private prepare(input: unknown): unknown {
    if (!isRecord(input)) return input;
    const out: Record<string, unknown> = { ...input };
    for (const section of ['queues', 'buses']) {
      const entries = out[section];
      if (isRecord(entries)) {
        out[section] = Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, v === null ? {} : v]));
      }
    }
    return out;
  }

  // ---- reporting ------------------------------------------------------------------------------------

  report(path: readonly PathSegment[], message: string): void {
    if (this.suppressed.some((removed) => follows(path, removed))) return;
    const { line, col } = this.lines.linePos(this.offsetOf(path));
    this.issues.push({ file: this.file, line, column: col, path: formatPath(path), message });
  }

  /**
   * Where the field at `path` is: its key, for a member of a mapping; the item, for one of a list. A path that
   * goes past what the file has points at the deepest part that exists (a missing field: the key of its parent).
   */
  private offsetOf(path: readonly PathSegment[]): number {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return offset;
        offset = rangeStart(pair.key) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (item === undefined) return offset;
        offset = rangeStart(item) ?? offset;
        node = item;
      } else {
        return offset;
      }
    }
    return offset;
  }

  private zodIssue(issue: z.core.$ZodIssue, data: unknown): void {
    const path = issue.path as PathSegment[];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeys(TopologySchema, path);
        for (const key of issue.keys) this.report([...path, key], `unknown key ${quote(key)}${didYouMean(key, known)}`);
        return;
      }
      case 'invalid_key': {
        const inner = issue.issues[0];
        this.report(path, inner?.message ?? 'is not a valid name');
        return;
      }
      default: {
        const value = valueAt(data, path);
        if (value === undefined) {
          this.report(path, 'is required');
          return;
        }
        const message = issue.message;
        const scalar = value === null || typeof value !== 'object';
        let got = scalar || issue.code === 'invalid_type' ? `, got ${describe(value)}` : '';
        if (typeof value === 'number' || typeof value === 'boolean') {
          if (/\bstrings?\b/.test(message) && !message.includes('quote')) got += ` (quote it: "${String(value)}")`;
        }
        this.report(path, `${message}${got}`);
      }
    }
  }

  // ---- queues ---------------------------------------------------------------------------------------

  private queue(name: string, doc: QueueDocument): TopologyQueue {
    const at = (key: string): PathSegment[] => ['queues', name, key];
    const fifo = isFifoName(name);
    if (doc.fifo === true && !fifo) {
      this.report(at('fifo'), `a FIFO queue's name ends in ".fifo": name it ${quote(`${name}.fifo`)}`);
    } else if (doc.fifo === false && fifo) {
      this.report(at('fifo'), 'the name ends in ".fifo", which only FIFO queue names do: drop fifo: false or rename');
    }
    const isFifo = doc.fifo ?? fifo;
    if (!isFifo) {
      for (const key of present(doc, FIFO_ONLY_KEYS)) this.report(at(key), 'applies to FIFO queues only');
    } else if (doc.fifoThroughputLimit === 'perMessageGroupId' && doc.deduplicationScope !== 'messageGroup') {
      this.report(
        at('fifoThroughputLimit'),
        'perMessageGroupId needs deduplicationScope: messageGroup (high-throughput FIFO), as SQS requires',
      );
    }
    if (doc.kmsDataKeyReusePeriodSeconds !== undefined && doc.kmsMasterKeyId === undefined) {
      this.report(at('kmsDataKeyReusePeriodSeconds'), 'applies only with kmsMasterKeyId');
    }
    if (doc.sqsManagedSseEnabled === true && doc.kmsMasterKeyId !== undefined) {
      this.report(at('sqsManagedSseEnabled'), 'cannot be true with kmsMasterKeyId: a queue has one kind of encryption');
    }
    this.tagCount(['queues', name], doc.tags);

    if (doc.maxReceiveCount !== undefined && doc.deadLetterQueue === undefined) {
      this.report(at('maxReceiveCount'), 'applies only with deadLetterQueue');
    }
    if (doc.deadLetterQueue !== undefined) {
      const dlq = doc.deadLetterQueue;
      if (dlq === name) {
        this.report(at('deadLetterQueue'), 'a queue cannot be its own dead-letter queue');
      } else if (this.queueRef(at('deadLetterQueue'), dlq)) {
        if (isFifoName(dlq) !== fifo) {
          this.report(
            at('deadLetterQueue'),
            fifo
              ? `${quote(dlq)} is a standard queue: the dead-letter queue of a FIFO queue must be a FIFO queue`
              : `${quote(dlq)} is a FIFO queue: the dead-letter queue of a standard queue must be a standard queue`,
          );
        }
      }
    }

    const base = {
      name,
      delaySeconds: doc.delaySeconds ?? QUEUE_DEFAULTS.delaySeconds,
      maximumMessageSize: doc.maximumMessageSize ?? QUEUE_DEFAULTS.maximumMessageSize,
      messageRetentionPeriod: doc.messageRetentionPeriod ?? QUEUE_DEFAULTS.messageRetentionPeriod,
      receiveMessageWaitTimeSeconds: doc.receiveMessageWaitTimeSeconds ?? QUEUE_DEFAULTS.receiveMessageWaitTimeSeconds,
      visibilityTimeout: doc.visibilityTimeout ?? QUEUE_DEFAULTS.visibilityTimeout,
      ...(doc.kmsMasterKeyId !== undefined
        ? {
            kmsMasterKeyId: doc.kmsMasterKeyId,
            kmsDataKeyReusePeriodSeconds:
              doc.kmsDataKeyReusePeriodSeconds ?? QUEUE_DEFAULTS.kmsDataKeyReusePeriodSeconds,
          }
        : {}),
      sqsManagedSseEnabled: doc.sqsManagedSseEnabled ?? doc.kmsMasterKeyId === undefined,
      ...(doc.deadLetterQueue !== undefined
        ? {
            deadLetter: {
              queue: doc.deadLetterQueue,
              maxReceiveCount: doc.maxReceiveCount ?? QUEUE_DEFAULTS.maxReceiveCount,
            },
          }
        : {}),
      tags: { ...(doc.tags ?? {}) },
    };
    if (!fifo) return { ...base, fifo: false };
    return {
      ...base,
      fifo: true,
      contentBasedDeduplication: doc.contentBasedDeduplication ?? QUEUE_DEFAULTS.contentBasedDeduplication,
      deduplicationScope: doc.deduplicationScope ?? QUEUE_DEFAULTS.deduplicationScope,
      fifoThroughputLimit: doc.fifoThroughputLimit ?? QUEUE_DEFAULTS.fifoThroughputLimit,
    };
  }

  /** A chain of dead-letter queues that comes back to where it started (reported once per cycle). */
  private deadLetterCycles(docs: readonly [string, QueueDocument][]): void {
    const next = new Map(docs.flatMap(([name, doc]) => (doc.deadLetterQueue ? [[name, doc.deadLetterQueue]] : [])));
    const reported = new Set<string>();
    for (const [start] of docs) {
      const chain = [start];
      let current = next.get(start);
      while (current !== undefined && current !== start && !chain.includes(current)) {
        chain.push(current);
        current = next.get(current);
      }
      if (current !== start || chain.length < 2 || chain.some((n) => reported.has(n))) continue;
      for (const n of chain) reported.add(n);
      this.report(
        ['queues', start, 'deadLetterQueue'],
        `dead-letter queues form a cycle: ${[...chain, start].join(' → ')}`,
      );
    }
  }

  /** Whether `name` is a declared queue; reports it otherwise. */
  private queueRef(path: readonly PathSegment[], name: string): boolean {
    if (this.queueNames.has(name)) return true;
    this.report(path, `no queue ${quote(name)} is declared${didYouMean(name, this.queueNames)}`);
    return false;
  }

  /** Whether `name` is `default` or a declared bus; reports it otherwise. */
  private busRef(path: readonly PathSegment[], name: string): boolean {
    if (name === DEFAULT_BUS || this.busNames.has(name)) return true;
    this.report(path, `no bus ${quote(name)} is declared${didYouMean(name, [DEFAULT_BUS, ...this.busNames])}`);
    return false;
  }

  private tagCount(path: readonly PathSegment[], tags: Record<string, string> | undefined): void {
    const count = Object.keys(tags ?? {}).length;
    if (count > MAX_TAGS) this.report([...path, 'tags'], `${count} tags: at most ${MAX_TAGS} are allowed`);
  }

  // ---- buses ----------------------------------------------------------------------------------------

  private bus(name: string, doc: BusDocument): TopologyBus {
    if (name === DEFAULT_BUS) {
      this.report(
        ['buses', name],
        'the default bus always exists and is not declared (rules use it when they name no bus)',
      );
    }
    this.tagCount(['buses', name], doc.tags);
    return {
      name,
      ...(doc.description !== undefined ? { description: doc.description } : {}),
      tags: { ...(doc.tags ?? {}) },
    };
  }

  // ---- rules ----------------------------------------------------------------------------------------

  private rule(name: string, doc: RuleDocument): TopologyRule | undefined {
    const path: PathSegment[] = ['rules', name];
    const bus = doc.bus ?? DEFAULT_BUS;
    const busKnown = doc.bus === undefined || this.busRef([...path, 'bus'], doc.bus);
    this.tagCount(path, doc.tags);

    let trigger: RuleTrigger | undefined;
    if (doc.pattern !== undefined) {
      const json = JSON.stringify(doc.pattern);
      const problem = validateEventPattern(json);
      if (problem) {
        const reason = problem.reason.replace(/\s*\n\s*at \[Source:[\s\S]*$/, '');
        this.report([...path, 'pattern'], `not a valid event pattern: ${reason}`);
      } else if (json.length > MAX_EVENT_PATTERN_LENGTH) {
        this.report(
          [...path, 'pattern'],
          `the pattern is ${json.length} characters of JSON: EventBridge takes at most ${MAX_EVENT_PATTERN_LENGTH}`,
        );
      } else {
        trigger = { kind: 'pattern', pattern: doc.pattern, json };
      }
    }
    if (doc.schedule !== undefined) {
      if (busKnown && bus !== DEFAULT_BUS) {
        this.report([...path, 'schedule'], `schedules run on the default bus only, and this rule is on ${quote(bus)}`);
      }
      try {
        parseScheduleExpression(doc.schedule);
        trigger ??= { kind: 'schedule', expression: doc.schedule };
      } catch (error) {
        if (!(error instanceof ScheduleExpressionError)) throw error;
        this.report(
          [...path, 'schedule'],
          `not a valid schedule expression (${error.reason}): use rate(5 minutes) or cron(0 12 * * ? *)`,
        );
      }
    }
    if (doc.pattern !== undefined && doc.schedule !== undefined) {
      this.report([...path, 'schedule'], 'give pattern or schedule, not both');
    } else if (doc.pattern === undefined && doc.schedule === undefined) {
      this.report(path, 'a rule needs a pattern or a schedule');
    }

    const ids = new Map<string, number>();
    const targets: TopologyTarget[] = [];
    (doc.targets ?? []).forEach((target, index) => {
      const targetPath = [...path, 'targets', index];
      const first = ids.get(target.id);
      if (first !== undefined) {
        this.report([...targetPath, 'id'], `target id ${quote(target.id)} is already used by targets[${first}]`);
      } else {
        ids.set(target.id, index);
      }
      const checked = this.target(targetPath, target);
      if (checked) targets.push(checked);
    });
    if (!trigger) return undefined;
    return {
      name,
      bus,
      ...(doc.description !== undefined ? { description: doc.description } : {}),
      state: doc.state ?? 'ENABLED',
      trigger,
      targets,
      tags: { ...(doc.tags ?? {}) },
    };
  }

  private target(path: readonly PathSegment[], doc: TargetDocument): TopologyTarget | undefined {
    const at = (key: string): PathSegment[] => [...path, key];
    let ok = true;
    const fail = (key: string | undefined, message: string) => {
      ok = false;
      this.report(key === undefined ? path : at(key), message);
    };

    let destination: TargetDestination | undefined;
    const destinations = present(doc, DESTINATION_KEYS);
    const [second] = destinations.slice(1);
    if (second !== undefined) fail(second, 'give one of queue, bus and url, not several');
    else if (destinations.length === 0) fail(undefined, 'a target needs one of queue, bus and url');
    else if (doc.queue !== undefined) {
      const queue = doc.queue;
      if (!this.queueRef(at('queue'), queue)) ok = false;
      else if (isFifoName(queue)) {
        if (doc.messageGroupId === undefined) {
          fail('queue', `${quote(queue)} is a FIFO queue: the target needs a messageGroupId`);
        }
        const queueDoc = this.queueDocs.get(queue);
        if (queueDoc && queueDoc.contentBasedDeduplication !== true) {
          fail(
            'queue',
            `${quote(queue)} is a FIFO queue without contentBasedDeduplication: EventBridge needs it to send to a FIFO queue`,
          );
        }
      } else if (doc.messageGroupId !== undefined) {
        fail('messageGroupId', `applies to FIFO queue targets only, and ${quote(queue)} is a standard queue`);
      }
      destination = {
        kind: 'queue',
        queue,
        ...(doc.messageGroupId !== undefined ? { messageGroupId: doc.messageGroupId } : {}),
      };
    } else if (doc.bus !== undefined) {
      if (!this.busRef(at('bus'), doc.bus)) ok = false;
      destination = { kind: 'bus', bus: doc.bus };
    } else if (doc.url !== undefined) {
      if (!URL.canParse(doc.url)) fail('url', 'is not a valid URL');
      destination = {
        kind: 'url',
        url: doc.url,
        ...(doc.httpParameters?.headerParameters ? { headerParameters: doc.httpParameters.headerParameters } : {}),
        ...(doc.httpParameters?.queryStringParameters
          ? { queryStringParameters: doc.httpParameters.queryStringParameters }
          : {}),
      };
    }
    if (doc.messageGroupId !== undefined && doc.queue === undefined && destinations.length === 1) {
      fail('messageGroupId', 'applies to FIFO queue targets only');
    }
    if (doc.httpParameters !== undefined && doc.url === undefined && destinations.length === 1) {
      fail('httpParameters', 'apply to url targets only');
    }

    let input: TargetInput = { kind: 'event' };
    const inputs = present(doc, INPUT_KEYS);
    const [extraInput] = inputs.slice(1);
    if (extraInput !== undefined) {
      fail(extraInput, 'give at most one of input, inputPath and inputTransformer');
    } else if (inputs.length === 1 && doc.bus !== undefined) {
      fail(inputs[0], 'a bus target receives the event itself: input, inputPath and inputTransformer are not allowed');
    } else if (doc.input !== undefined) {
      let json: string | undefined;
      if (typeof doc.input === 'string') {
        try {
          JSON.parse(doc.input);
          json = doc.input;
        } catch (error) {
          fail('input', `must be JSON text (${(error as Error).message}), or a mapping`);
        }
      } else {
        json = JSON.stringify(doc.input);
      }
      if (json !== undefined && json.length > MAX_INPUT_LENGTH) {
        fail('input', `is ${json.length} characters of JSON: EventBridge takes at most ${MAX_INPUT_LENGTH}`);
      } else if (json !== undefined) {
        input = { kind: 'constant', json };
      }
    } else if (doc.inputPath !== undefined) {
      if (!isValidJsonPath(doc.inputPath)) {
        fail(
          'inputPath',
          'is not a JSON path EventBridge takes: use $, dot notation, array indices and * wildcards, as $.detail.orderId',
        );
      } else {
        input = { kind: 'path', path: doc.inputPath };
      }
    } else if (doc.inputTransformer !== undefined) {
      const { inputPathsMap, inputTemplate } = doc.inputTransformer;
      try {
        validateInputTransformer({ InputPathsMap: inputPathsMap, InputTemplate: inputTemplate });
        if (inputTemplate.length > MAX_INPUT_TEMPLATE_LENGTH) throw new InvalidInputTransformerError('too long');
        input = { kind: 'transformer', inputPathsMap: { ...(inputPathsMap ?? {}) }, inputTemplate };
      } catch (error) {
        if (!(error instanceof InvalidInputTransformerError)) throw error;
        fail('inputTransformer', error.message);
      }
    }

    if (doc.deadLetterQueue !== undefined) {
      if (!this.queueRef(at('deadLetterQueue'), doc.deadLetterQueue)) ok = false;
      else if (isFifoName(doc.deadLetterQueue)) {
        fail(
          'deadLetterQueue',
          `${quote(doc.deadLetterQueue)} is a FIFO queue: EventBridge dead-letter queues must be standard queues`,
        );
      }
    }
    if (!ok || !destination) return undefined;
    return {
      id: doc.id,
      destination,
      input,
      retryPolicy: {
        maximumRetryAttempts: doc.retryPolicy?.maximumRetryAttempts ?? RETRY_POLICY_DEFAULTS.maximumRetryAttempts,
        maximumEventAgeInSeconds:
          doc.retryPolicy?.maximumEventAgeInSeconds ?? RETRY_POLICY_DEFAULTS.maximumEventAgeInSeconds,
      },
      ...(doc.deadLetterQueue !== undefined ? { deadLetterQueue: doc.deadLetterQueue } : {}),
    };
  }

  // ---- alarms ---------------------------------------------------------------------------------------

  private alarm(name: string, doc: AlarmDocument): TopologyAlarm | undefined {
    const path: PathSegment[] = ['alarms', name];
    const at = (key: string): PathSegment[] => [...path, key];
    const before = this.issues.length;
    this.tagCount(path, doc.tags);

    if (doc.statistic !== undefined && doc.extendedStatistic !== undefined) {
      this.report(at('extendedStatistic'), 'give statistic or extendedStatistic, not both');
    } else if (doc.statistic === undefined && doc.extendedStatistic === undefined) {
      this.report(path, 'an alarm needs a statistic (or an extendedStatistic)');
    } else if (doc.extendedStatistic !== undefined) {
      const stat = doc.extendedStatistic;
      if (isStandardStatistic(stat)) {
        this.report(at('extendedStatistic'), `${stat} is a standard statistic: give it as statistic`);
      } else {
        try {
          parseStatistic(stat);
        } catch (error) {
          if (!(error instanceof InvalidStatisticError)) throw error;
          this.report(
            at('extendedStatistic'),
            `${quote(stat)} is not a statistic CloudWatch knows, as p99 or TM(10%:90%)`,
          );
        }
      }
    }

    const period = doc.period;
    if (!(period === 10 || period === 20 || period === 30 || period % 60 === 0)) {
      this.report(at('period'), `must be 10, 20, 30 or a multiple of 60 (seconds), got ${period}`);
    }
    const datapoints = doc.datapointsToAlarm ?? doc.evaluationPeriods;
    if (datapoints > doc.evaluationPeriods) {
      this.report(at('datapointsToAlarm'), `must be at most evaluationPeriods (${doc.evaluationPeriods})`);
    }
    const window = period * doc.evaluationPeriods;
    if (period < 3600 && window > MAX_EVALUATION_SECONDS_SHORT_PERIOD) {
      this.report(
        at('evaluationPeriods'),
        `period × evaluationPeriods is ${window} seconds: alarms with periods under an hour look back at most a day (${MAX_EVALUATION_SECONDS_SHORT_PERIOD})`,
      );
    } else if (window > MAX_EVALUATION_SECONDS) {
      this.report(
        at('evaluationPeriods'),
        `period × evaluationPeriods is ${window} seconds: alarms look back at most a week (${MAX_EVALUATION_SECONDS})`,
      );
    }

    const dimensions = doc.dimensions ?? {};
    const dimensionCount = Object.keys(dimensions).length;
    if (dimensionCount > MAX_DIMENSIONS) {
      this.report(at('dimensions'), `${dimensionCount} dimensions: at most ${MAX_DIMENSIONS} are allowed`);
    }
    this.metricReferences(path, doc.namespace, dimensions);

    const actions = (state: 'alarm' | 'ok' | 'insufficientData'): AlarmAction[] =>
      (doc.actions?.[state] ?? []).flatMap((action, index): AlarmAction[] => {
        const actionPath = [...path, 'actions', state, index];
        if (action.queue !== undefined && action.url !== undefined) {
          this.report([...actionPath, 'url'], 'give queue or url, not both');
          return [];
        }
        if (action.url !== undefined) return [{ kind: 'url', url: action.url }];
        if (action.queue === undefined) {
          this.report(actionPath, 'an action needs a queue or a url');
          return [];
        }
        if (!this.queueRef([...actionPath, 'queue'], action.queue)) return [];
        if (isFifoName(action.queue)) {
          this.report(
            [...actionPath, 'queue'],
            `${quote(action.queue)} is a FIFO queue: alarm actions notify standard queues (on AWS through an SNS topic, which delivers to standard queues only)`,
          );
          return [];
        }
        return [{ kind: 'queue', queue: action.queue }];
      });
    const alarmActions = actions('alarm');
    const okActions = actions('ok');
    const insufficientDataActions = actions('insufficientData');

    if (this.issues.length > before) return undefined;
    return {
      name,
      ...(doc.description !== undefined ? { description: doc.description } : {}),
      namespace: doc.namespace,
      metric: doc.metric,
      dimensions: { ...dimensions },
      ...(doc.statistic !== undefined ? { statistic: doc.statistic } : { extendedStatistic: doc.extendedStatistic }),
      period,
      evaluationPeriods: doc.evaluationPeriods,
      datapointsToAlarm: datapoints,
      threshold: doc.threshold,
      comparison: doc.comparison,
      treatMissingData: doc.treatMissingData ?? 'missing',
      ...(doc.unit !== undefined ? { unit: doc.unit } : {}),
      actionsEnabled: doc.actionsEnabled ?? true,
      actions: { alarm: alarmActions, ok: okActions, insufficientData: insufficientDataActions },
      tags: { ...(doc.tags ?? {}) },
    };
  }

  /**
   * An alarm on a queue or rule of this topology must name it as the service records it, or it never sees a
   * datapoint: AWS/SQS by QueueName; AWS/Events by RuleName, plus EventBusName for a rule of a custom bus.
   */
  private metricReferences(path: readonly PathSegment[], namespace: string, dimensions: Record<string, string>): void {
    const at = (name: string): PathSegment[] => [...path, 'dimensions', name];
    if (namespace === 'AWS/SQS' && dimensions.QueueName !== undefined) {
      this.queueRef(at('QueueName'), dimensions.QueueName);
    }
    if (namespace !== 'AWS/Events') return;
    const ruleName = dimensions.RuleName;
    const busName = dimensions.EventBusName;
    if (busName !== undefined) this.busRef(at('EventBusName'), busName);
    if (ruleName === undefined) return;
    if (!this.ruleNames.has(ruleName)) {
      this.report(at('RuleName'), `no rule ${quote(ruleName)} is declared${didYouMean(ruleName, this.ruleNames)}`);
      return;
    }
    const ruleBus = this.ruleBuses.get(ruleName) ?? DEFAULT_BUS;
    if (ruleBus === DEFAULT_BUS && busName !== undefined) {
      this.report(
        at('EventBusName'),
        `rule ${quote(ruleName)} is on the default bus, whose rule metrics carry RuleName alone: drop EventBusName`,
      );
    } else if (ruleBus !== DEFAULT_BUS && busName !== ruleBus) {
      this.report(
        busName === undefined ? [...path, 'dimensions'] : at('EventBusName'),
        `rule ${quote(ruleName)} is on bus ${quote(ruleBus)}: its metrics carry EventBusName: ${ruleBus} as well as RuleName`,
      );
    }
  }
}

/** A field taken out of a resource so that the rest of it can be checked: an unknown key, or an invalid value. */
interface Removed {
  readonly path: readonly PathSegment[];
  readonly invalid: boolean;
}

/**
 * The resource with its unknown keys and its invalid optional values taken out, if what is left is well-formed
 * (its shape problems are reported by the whole-file pass already). Undefined when a required field is wrong.
 */
function salvage<D>(
  schema: z.ZodType<D>,
  value: unknown,
  base: readonly PathSegment[],
): { doc: D; removed: Removed[] } | undefined {
  const current: unknown = structuredClone(value);
  const removed: Removed[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    const result = schema.safeParse(current);
    if (result.success) return { doc: result.data, removed };
    let changed = false;
    for (const issue of result.error.issues) {
      const path = issue.path as PathSegment[];
      if (issue.code === 'unrecognized_keys') {
        const parent = valueAt(current, path);
        if (!isRecord(parent)) return undefined;
        for (const key of issue.keys) {
          delete parent[key];
          removed.push({ path: [...base, ...path, key], invalid: false });
        }
        changed = true;
        continue;
      }
      const key = path.at(-1);
      const parent = valueAt(current, path.slice(0, -1));
      if (typeof key !== 'string' || !isRecord(parent) || parent[key] === undefined) return undefined;
      delete parent[key];
      removed.push({ path: [...base, ...path], invalid: true });
      changed = true;
    }
    if (!changed) return undefined;
  }
  return undefined;
}

/** The fields whose value a check of the key field looks at, besides the field itself. */
const DEPENDS_ON: Readonly<Record<string, readonly string[]>> = {
  maxReceiveCount: ['deadLetterQueue'],
  deadLetterQueue: ['fifo'],
  kmsDataKeyReusePeriodSeconds: ['kmsMasterKeyId'],
  sqsManagedSseEnabled: ['kmsMasterKeyId'],
  contentBasedDeduplication: ['fifo'],
  deduplicationScope: ['fifo'],
  fifoThroughputLimit: ['fifo', 'deduplicationScope'],
  schedule: ['bus', 'pattern'],
  queue: ['messageGroupId'],
  messageGroupId: ['queue', 'bus', 'url'],
  httpParameters: ['queue', 'bus', 'url'],
  input: ['bus', 'inputPath', 'inputTransformer'],
  inputPath: ['bus', 'input', 'inputTransformer'],
  inputTransformer: ['bus', 'input', 'inputPath'],
  url: ['queue'],
  extendedStatistic: ['statistic'],
  datapointsToAlarm: ['evaluationPeriods'],
  evaluationPeriods: ['period'],
  EventBusName: ['RuleName'],
};

/**
 * Whether a problem at `path` may be a consequence of `removed` having been taken out: it is about an enclosing
 * field (a target that now has no destination), or about a sibling whose check looks at the removed value
 * (maxReceiveCount without its deadLetterQueue).
 */
function follows(path: readonly PathSegment[], removed: Removed): boolean {
  const prefix = (a: readonly PathSegment[], b: readonly PathSegment[]) =>
    a.length <= b.length && a.every((segment, i) => segment === b[i]);
  if (path.length < removed.path.length && prefix(path, removed.path)) return true;
  const key = path.at(-1);
  const removedKey = removed.path.at(-1);
  return (
    path.length === removed.path.length &&
    prefix(path.slice(0, -1), removed.path) &&
    typeof key === 'string' &&
    typeof removedKey === 'string' &&
    (DEPENDS_ON[key]?.includes(removedKey) ?? false)
  );
}

function rangeStart(node: unknown): number | undefined {
  if (typeof node !== 'object' || node === null || !('range' in node)) return undefined;
  const range = (node as { range?: readonly number[] | null }).range;
  return range?.[0];
}
