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
