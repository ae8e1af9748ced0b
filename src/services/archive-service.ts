import type { Clock } from '../core/clock.js';
import { AwsError } from '../core/errors.js';
import { MAX_EVENT_PATTERN_LENGTH, validateEventPattern } from '../core/event-pattern/index.js';
import type { ArchiveRecord, ReplayRecord, ReplayState, Store } from '../store/types.js';
import { BackgroundLoop } from './background-loop.js';
import { type AccountContext, busArn, type EventRouter, parseRuleArn, RoutingPlan, ruleArn } from './event-router.js';
import { decodeToken, encodeToken, maxLength, pageLimit, required, validation } from './events-validation.js';

/** Archives per account (AWS's quota). */
export const MAX_ARCHIVES = 10;
/** Replays running at once per account (AWS's quota). */
export const MAX_ACTIVE_REPLAYS = 10;
/** Archived events replayed per transaction. */
const REPLAY_BATCH = 100;

const NAME = /^[.\-_A-Za-z0-9]{1,48}$/;
const REPLAY_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const ARCHIVE_STATES = ['ENABLED', 'DISABLED', 'CREATING', 'UPDATING', 'CREATE_FAILED', 'UPDATE_FAILED'];
const REPLAY_STATES: readonly ReplayState[] = ['STARTING', 'RUNNING', 'CANCELLING', 'COMPLETED', 'CANCELLED', 'FAILED'];
const ACTIVE: readonly ReplayState[] = ['STARTING', 'RUNNING', 'CANCELLING'];

const archiveNotFound = (name: string) => new AwsError('EventsResourceNotFound', `Archive ${name} does not exist.`);
const replayNotFound = (name: string) => new AwsError('EventsResourceNotFound', `Replay ${name} does not exist.`);

function checkName(name: string, pattern: RegExp, member: string, max: number): void {
  if (!pattern.test(name)) {
    throw validation(
      `1 validation error detected: Value '${name}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length between 1 and ${max}`,
    );
  }
}

function checkPattern(pattern: string | undefined): void {
  if (pattern === undefined) return;
  maxLength(pattern, MAX_EVENT_PATTERN_LENGTH, 'eventPattern');
  const problem = validateEventPattern(pattern);
  if (problem) throw new AwsError('EventsInvalidEventPattern', problem.message);
}

function checkRetention(days: number | undefined): void {
  if (days !== undefined && !(Number.isInteger(days) && days >= 0)) {
    throw validation(
      `1 validation error detected: Value '${days}' at 'retentionDays' failed to satisfy constraint: Member must have value greater than or equal to 0`,
    );
  }
}

/** Epoch seconds (AWS JSON 1.1 timestamps) to milliseconds, or a ValidationException naming the member. */
function timestamp(value: number | undefined, member: string): number {
  const seconds = required(value, member);
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) throw validation(`${member} is not a valid timestamp.`);
  return Math.round(seconds * 1000);
}

/**
 * EventBridge archives and replays. PutEvents copies matching events into the archives of their bus (the
 * router does it, in the routing transaction); a replay sends the archived events of a time window back
 * to the bus, to all of its rules or to those listed, each carrying `replay-name`. The replay worker
 * advances each replay in batches, each batch one transaction with the replay's progress, so a restart
 * resumes a replay where it stopped and replays no event twice.
 */
export class ArchiveService {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly router: EventRouter;
  /** The server's region: replays route in it. */
  private readonly region: string;
  private readonly loop = new BackgroundLoop(() => this.step(), 200);

  constructor(options: { store: Store; clock: Clock; router: EventRouter; region: string }) {
    this.store = options.store;
    this.region = options.region;
    this.clock = options.clock;
    this.router = options.router;
  }

  private archiveArn(ctx: AccountContext, name: string): string {
    return `arn:aws:events:${ctx.region}:${ctx.accountId}:archive/${name}`;
  }

  private replayArn(ctx: AccountContext, name: string): string {
    return `arn:aws:events:${ctx.region}:${ctx.accountId}:replay/${name}`;
  }

  /** The bus an `EventSourceArn` or `Destination.Arn` names, which must exist in this account and region. */
  private async busOf(ctx: AccountContext, arn: string, member: string): Promise<string> {
    const parsed = /^arn:aws[\w-]*:events:([^:]*):([^:]*):event-bus\/(.+)$/.exec(arn);
    if (!parsed) throw validation(`Parameter ${member} is not valid: ${arn} is not an event bus ARN.`);
    const name = parsed[3] ?? '';
    if (
      parsed[1] !== ctx.region ||
      parsed[2] !== ctx.accountId ||
      !(await this.store.getEventBus(ctx.accountId, name))
    ) {
      throw new AwsError('EventsResourceNotFound', `Event bus ${name} does not exist.`);
    }
    return name;
  }

  private archiveOut(ctx: AccountContext, archive: ArchiveRecord) {
    return {
      ArchiveName: archive.name,
      EventSourceArn: busArn(ctx, archive.busName),
      State: archive.state,
      RetentionDays: archive.retentionDays,
      SizeBytes: archive.sizeBytes,
      EventCount: archive.eventCount,
      CreationTime: archive.createdAt / 1000,
    };
  }

  async createArchive(
    ctx: AccountContext,
    input: {
      ArchiveName?: string;
      EventSourceArn?: string;
      Description?: string;
      EventPattern?: string;
      RetentionDays?: number;
    },
  ) {
    const name = required(input.ArchiveName, 'archiveName');
    checkName(name, NAME, 'archiveName', 48);
    const busName = await this.busOf(ctx, required(input.EventSourceArn, 'eventSourceArn'), 'EventSourceArn');
    maxLength(input.Description, 512, 'description');
    const pattern = input.EventPattern === '' ? undefined : input.EventPattern;
    checkPattern(pattern);
    checkRetention(input.RetentionDays);
    const existing = await this.store.listArchives(ctx.accountId, { limit: MAX_ARCHIVES + 1 });
    if (!existing.some((a) => a.name === name) && existing.length >= MAX_ARCHIVES) {
      throw new AwsError('EventsLimitExceeded', `An account can have at most ${MAX_ARCHIVES} archives.`);
    }
    const now = this.clock.now();
    const outcome = await this.store.createArchive({
      accountId: ctx.accountId,
      name,
      busName,
      description: input.Description,
      eventPattern: pattern,
      retentionDays: input.RetentionDays ?? 0,
      now,
    });
    if (outcome === 'exists') throw new AwsError('EventsResourceAlreadyExists', `Archive ${name} already exists.`);
    this.router.invalidate(ctx.accountId, busName);
    return { ArchiveArn: this.archiveArn(ctx, name), State: 'ENABLED', CreationTime: now / 1000 };
  }

  private async requireArchive(ctx: AccountContext, name: string | undefined): Promise<ArchiveRecord> {
    const archiveName = required(name, 'archiveName');
    maxLength(archiveName, 48, 'archiveName');
    const archive = await this.store.getArchive(ctx.accountId, archiveName);
    if (!archive) throw archiveNotFound(archiveName);
    return archive;
  }

  async describeArchive(ctx: AccountContext, input: { ArchiveName?: string }) {
    const archive = await this.requireArchive(ctx, input.ArchiveName);
    return {
      ArchiveArn: this.archiveArn(ctx, archive.name),
      ...this.archiveOut(ctx, archive),
      ...(archive.description !== undefined ? { Description: archive.description } : {}),
      ...(archive.eventPattern !== undefined ? { EventPattern: archive.eventPattern } : {}),
    };
  }

  async listArchives(
    ctx: AccountContext,
    input: { NamePrefix?: string; EventSourceArn?: string; State?: string; NextToken?: string; Limit?: number },
  ) {
    const limit = pageLimit(input.Limit);
    maxLength(input.NamePrefix, 48, 'namePrefix');
    if (input.State !== undefined && !ARCHIVE_STATES.includes(input.State)) {
      throw validation(
        `1 validation error detected: Value '${input.State}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${ARCHIVE_STATES.join(', ')}]`,
      );
    }
    const busName =
      input.EventSourceArn !== undefined ? await this.busOf(ctx, input.EventSourceArn, 'EventSourceArn') : undefined;
    const afterName = decodeToken(input.NextToken);
    const archives = (
      await this.store.listArchives(ctx.accountId, {
        ...(input.NamePrefix !== undefined ? { prefix: input.NamePrefix } : {}),
        ...(busName !== undefined ? { busName } : {}),
        ...(afterName !== undefined ? { afterName } : {}),
        limit: limit + 1,
      })
    ).filter((a) => input.State === undefined || a.state === input.State);
    const page = archives.slice(0, limit);
    const last = page[page.length - 1];
    return {
      Archives: page.map((archive) => this.archiveOut(ctx, archive)),
      ...(archives.length > limit && last ? { NextToken: encodeToken(last.name) } : {}),
    };
  }

  async updateArchive(
    ctx: AccountContext,
    input: { ArchiveName?: string; Description?: string; EventPattern?: string; RetentionDays?: number },
  ) {
    const archive = await this.requireArchive(ctx, input.ArchiveName);
    maxLength(input.Description, 512, 'description');
    checkPattern(input.EventPattern === '' ? undefined : input.EventPattern);
    checkRetention(input.RetentionDays);
    const updated = await this.store.updateArchive(ctx.accountId, archive.name, {
      description: input.Description,
      eventPattern: input.EventPattern === '' ? null : input.EventPattern,
      retentionDays: input.RetentionDays,
    });
    if (!updated) throw archiveNotFound(archive.name);
    this.router.invalidate(ctx.accountId, archive.busName);
    return {
      ArchiveArn: this.archiveArn(ctx, archive.name),
      State: updated.state,
      CreationTime: updated.createdAt / 1000,
    };
  }

  async deleteArchive(ctx: AccountContext, input: { ArchiveName?: string }) {
    const archive = await this.requireArchive(ctx, input.ArchiveName);
    await this.store.deleteArchive(ctx.accountId, archive.name);
    this.router.invalidate(ctx.accountId, archive.busName);
    return {};
  }

  // ---- replays -----------------------------------------------------------------------------------

  async startReplay(
    ctx: AccountContext,
    input: {
      ReplayName?: string;
      Description?: string;
      EventSourceArn?: string;
      EventStartTime?: number;
      EventEndTime?: number;
      Destination?: { Arn?: string; FilterArns?: string[] };
    },
  ) {
    const name = required(input.ReplayName, 'replayName');
    checkName(name, REPLAY_NAME, 'replayName', 64);
    maxLength(input.Description, 512, 'description');
    const sourceArn = required(input.EventSourceArn, 'eventSourceArn');
    const archiveMatch = /^arn:aws[\w-]*:events:([^:]*):([^:]*):archive\/(.+)$/.exec(sourceArn);
    if (!archiveMatch) throw validation(`Parameter EventSourceArn is not valid: ${sourceArn} is not an archive ARN.`);
    if (archiveMatch[1] !== ctx.region || archiveMatch[2] !== ctx.accountId)
      throw archiveNotFound(archiveMatch[3] ?? '');
    const archive = await this.requireArchive(ctx, archiveMatch[3]);
    const startTime = timestamp(input.EventStartTime, 'eventStartTime');
    const endTime = timestamp(input.EventEndTime, 'eventEndTime');
    if (startTime >= endTime) throw validation('EventStartTime must be before EventEndTime.');
    const now = this.clock.now();
    const destination = required(input.Destination, 'destination');
    const busName = await this.busOf(ctx, required(destination.Arn, 'destination.arn'), 'Destination.Arn');
    if (busName !== archive.busName) {
      throw validation('Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.');
    }
    const ruleNames: string[] = [];
    for (const arn of destination.FilterArns ?? []) {
      const rule = parseRuleArn(arn);
      if (!rule || rule.accountId !== ctx.accountId || rule.busName !== busName) {
        throw validation(
          `Parameter Destination.FilterArns is not valid: ${arn} is not a rule of event bus ${busName}.`,
        );
      }
      if (!(await this.store.getRule(ctx.accountId, busName, rule.ruleName))) {
        throw new AwsError('EventsResourceNotFound', `Rule ${rule.ruleName} does not exist on EventBus ${busName}.`);
      }
      ruleNames.push(rule.ruleName);
    }
    const active = await this.store.listReplays(ctx.accountId, { limit: 1000 });
    if (active.filter((r) => ACTIVE.includes(r.state)).length >= MAX_ACTIVE_REPLAYS) {
      throw new AwsError('EventsLimitExceeded', `At most ${MAX_ACTIVE_REPLAYS} replays can run at once.`);
    }
    const outcome = await this.store.createReplay({
      accountId: ctx.accountId,
      name,
      description: input.Description,
      archiveName: archive.name,
      archiveId: archive.id,
      busName,
      startTime,
      endTime,
      ruleNames,
      now,
    });
    if (outcome === 'exists') throw new AwsError('EventsResourceAlreadyExists', `Replay ${name} already exists.`);
    this.kick();
    return { ReplayArn: this.replayArn(ctx, name), State: 'STARTING', ReplayStartTime: now / 1000 };
  }

  private async requireReplay(ctx: AccountContext, name: string | undefined): Promise<ReplayRecord> {
    const replayName = required(name, 'replayName');
    maxLength(replayName, 64, 'replayName');
    const replay = await this.store.getReplay(ctx.accountId, replayName);
    if (!replay) throw replayNotFound(replayName);
    return replay;
  }

  private replaySummary(ctx: AccountContext, replay: ReplayRecord) {
    return {
      ReplayName: replay.name,
      EventSourceArn: this.archiveArn(ctx, replay.archiveName),
      State: replay.state,
      ...(replay.stateReason !== undefined ? { StateReason: replay.stateReason } : {}),
      EventStartTime: replay.startTime / 1000,
      EventEndTime: replay.endTime / 1000,
      ...(replay.lastReplayedTime !== undefined ? { EventLastReplayedTime: replay.lastReplayedTime / 1000 } : {}),
      ReplayStartTime: replay.now / 1000,
      ...(replay.endedAt !== undefined ? { ReplayEndTime: replay.endedAt / 1000 } : {}),
    };
  }

  async describeReplay(ctx: AccountContext, input: { ReplayName?: string }) {
    const replay = await this.requireReplay(ctx, input.ReplayName);
    return {
      ...this.replaySummary(ctx, replay),
      ReplayArn: this.replayArn(ctx, replay.name),
      ...(replay.description !== undefined ? { Description: replay.description } : {}),
      Destination: {
        Arn: busArn(ctx, replay.busName),
        ...(replay.ruleNames.length > 0
          ? {
              FilterArns: replay.ruleNames.map((rule) => ruleArn(ctx, replay.busName, rule)),
            }
          : {}),
      },
    };
  }

  async listReplays(
    ctx: AccountContext,
    input: { NamePrefix?: string; State?: string; EventSourceArn?: string; NextToken?: string; Limit?: number },
  ) {
    const limit = pageLimit(input.Limit);
    maxLength(input.NamePrefix, 64, 'namePrefix');
    if (input.State !== undefined && !REPLAY_STATES.includes(input.State as ReplayState)) {
      throw validation(
        `1 validation error detected: Value '${input.State}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${REPLAY_STATES.join(', ')}]`,
      );
    }
    let archiveName: string | undefined;
    if (input.EventSourceArn !== undefined) {
      archiveName = /:archive\/(.+)$/.exec(input.EventSourceArn)?.[1];
      if (archiveName === undefined) {
        throw validation(`Parameter EventSourceArn is not valid: ${input.EventSourceArn} is not an archive ARN.`);
      }
    }
    const afterName = decodeToken(input.NextToken);
    const replays = await this.store.listReplays(ctx.accountId, {
      ...(input.NamePrefix !== undefined ? { prefix: input.NamePrefix } : {}),
      ...(input.State !== undefined ? { state: input.State } : {}),
      ...(archiveName !== undefined ? { archiveName } : {}),
      ...(afterName !== undefined ? { afterName } : {}),
      limit: limit + 1,
    });
    const page = replays.slice(0, limit);
    const last = page[page.length - 1];
    return {
      Replays: page.map((replay) => this.replaySummary(ctx, replay)),
      ...(replays.length > limit && last ? { NextToken: encodeToken(last.name) } : {}),
    };
  }

  async cancelReplay(ctx: AccountContext, input: { ReplayName?: string }) {
    const replay = await this.requireReplay(ctx, input.ReplayName);
    if (replay.state !== 'STARTING' && replay.state !== 'RUNNING') {
      throw new AwsError('EventsIllegalStatus', `Replay ${replay.name} is ${replay.state} and cannot be cancelled.`);
    }
    const updated = await this.store.setReplayState(ctx.accountId, replay.name, { state: 'CANCELLING' }, [
      'STARTING',
      'RUNNING',
    ]);
    // The worker may have finished the replay between the check above and this write.
    if (updated?.state !== 'CANCELLING') {
      throw new AwsError(
        'EventsIllegalStatus',
        `Replay ${replay.name} is ${updated?.state ?? 'gone'} and cannot be cancelled.`,
      );
    }
    this.kick();
    return { ReplayArn: this.replayArn(ctx, replay.name), State: 'CANCELLING' };
  }

  // ---- the worker --------------------------------------------------------------------------------

  startWorker(): void {
    this.loop.start();
  }

  stopWorker(): Promise<void> {
    return this.loop.stop();
  }

  kick(): void {
    this.loop.kick();
  }

  /**
   * Advances every active replay by one batch, and expires archived events past retention. Resolves true
   * when a replay has more to do.
   */
  async step(): Promise<boolean> {
    const now = this.clock.now();
    await this.store.expireArchivedEvents(now, 1000);
    for (const replay of await this.store.activeReplays()) {
      const ctx = { accountId: replay.accountId, region: this.region };
      if (replay.state === 'CANCELLING') {
        await this.store.setReplayState(replay.accountId, replay.name, { state: 'CANCELLED', endedAt: now }, [
          'CANCELLING',
        ]);
        continue;
      }
      const batch = await this.store.archivedEvents(replay.archiveId, {
        fromTime: replay.startTime,
        // Events archived after the replay started are not part of it, whatever its end time.
        toTime: Math.min(replay.endTime, replay.now),
        ...(replay.after ? { after: replay.after } : {}),
        limit: REPLAY_BATCH,
      });
      const lastEvent = batch[batch.length - 1];
      if (!lastEvent) {
        // Not over a cancel accepted meanwhile: that one ends CANCELLED on the next step.
        await this.store.setReplayState(replay.accountId, replay.name, { state: 'COMPLETED', endedAt: now }, [
          'STARTING',
          'RUNNING',
        ]);
        continue;
      }
      const plan = new RoutingPlan();
      const events = batch.map((archived) => {
        const event = JSON.parse(archived.event) as Record<string, unknown> & { id: string };
        event['replay-name'] = replay.name;
        const text = `${archived.event.trimEnd().slice(0, -1)},"replay-name":${JSON.stringify(replay.name)}}`;
        return { event, text, ingestionTime: now };
      });
      const onlyRules = replay.ruleNames.length > 0 ? new Set(replay.ruleNames) : undefined;
      const busExists = await this.router.planBus(plan, ctx, replay.busName, events, {
        onlyRules,
        archive: false,
        via: 'replay',
        replayName: replay.name,
      });
      if (!busExists) {
        await this.store.setReplayState(replay.accountId, replay.name, {
          state: 'FAILED',
          reason: `Event bus ${replay.busName} does not exist.`,
          endedAt: now,
        });
        continue;
      }
      plan.write.replayProgress = {
        id: replay.id,
        after: { time: lastEvent.time, seq: lastEvent.seq },
        lastReplayedTime: lastEvent.time,
      };
      await this.router.commit(plan);
    }
    return (await this.store.activeReplays()).length > 0;
  }
}
