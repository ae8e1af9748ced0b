/**
 * The scheduling shared by the background workers (move tasks, deliveries, replays, schedules): one step
 * at a time, every `tickMs` once started, at once when kicked, and again straight after a step that says
 * more is waiting or that was kicked while it ran. A failed step is left to the next tick: each worker's
 * step commits what it does in transactions of its own, so a failure leaves nothing half done.
 */
export class BackgroundLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    /** One step; resolves true when more work is waiting. */
    private readonly step: () => Promise<unknown>,
    private readonly tickMs: number,
  ) {}

  start(): void {
    if (this.timer) return;
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.tickMs);
    this.timer.unref();
    this.kick();
  }

  /** Stops ticking and waits for the step under way; later kicks do nothing. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopped = true;
    await this.running;
  }

  /**
   * Runs a step now, or right after the one under way. Before `start` (in tests) a kick still runs one
   * step, without follow-ups.
   */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.again = false;
    this.running = this.step()
      .then(
        (more) => {
          if (more === true) this.again = true;
        },
        () => undefined,
      )
      .finally(() => {
        this.running = undefined;
        if (this.again && this.timer) {
          this.again = false;
          setImmediate(() => this.kick());
        }
      });
  }
}

/**
 * The expiry sweep of a kind of record (idempotency keys, failure records, trace steps): one batch every `everyMs`
 * once started, and at once again while a batch comes back full. A failing sweep is reported and left to the next
 * tick: each batch is its own transaction.
 */
export class ExpirySweep {
  private readonly loop: BackgroundLoop;

  constructor(
    /** Removes up to `batch` expired records; resolves how many it removed. */
    sweep: () => Promise<number>,
    batch: number,
    everyMs: number,
    onError?: (error: unknown) => void,
  ) {
    this.loop = new BackgroundLoop(async () => {
      try {
        return (await sweep()) >= batch;
      } catch (error) {
        onError?.(error);
        return false;
      }
    }, everyMs);
  }

  start(): void {
    this.loop.start();
  }

  /** Stops the sweep, waiting for the batch under way. */
  stop(): Promise<void> {
    return this.loop.stop();
  }
}
