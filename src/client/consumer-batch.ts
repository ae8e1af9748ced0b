// Deletes and visibility changes, batched: what is asked for in one turn of the event loop goes out together, in
// DeleteMessageBatch / ChangeMessageVisibilityBatch calls of up to 10 entries (a lone entry as DeleteMessage /
// ChangeMessageVisibility). Entries that fail for a reason a retry may cure (the service's fault, or the whole call
// failing, e.g. on the network) are sent once more; then each caller learns its own entry's outcome.
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** SQS takes at most 10 entries per batch call. */
const MAX_BATCH_ENTRIES = 10;

/** The outcome of one entry: done, or not, with SQS's error code (`ReceiptHandleIsInvalid`, …) and the error. */
export type EntryResult = { ok: true } | { ok: false; code: string; error: Error };

/** Error codes that mean the receipt handle no longer holds the message: another receive has it, or it is gone. */
const LOST_HANDLE_CODES = new Set([
  'ReceiptHandleIsInvalid',
  'MessageNotInflight',
  'AWS.SimpleQueueService.MessageNotInflight',
  'InvalidParameterValue',
]);

/** Whether an entry failed because the message is no longer ours to change (retrying will not help). */
export function isLostHandle(result: EntryResult): boolean {
  return !result.ok && LOST_HANDLE_CODES.has(result.code);
}

interface Failure {
  code: string;
  message: string;
  senderFault: boolean;
}

interface Operation<E> {
  one(entry: E): Promise<void>;
  /** Failures by index; throws if the call itself failed. */
  many(entries: E[]): Promise<Map<number, Failure>>;
}

interface Pending<E> {
  entry: E;
  resolve: (result: EntryResult) => void;
}

/** An SDK error's code, whether it says it is the caller's fault (no retry), and its message. */
function describe(error: unknown): Failure {
  const e = error as { name?: unknown; message?: unknown; $fault?: unknown };
  return {
    code: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(error),
    senderFault: e?.$fault === 'client' && e?.name !== 'AbortError',
  };
}

function entryError(f: Failure, cause?: unknown): Error {
  const error = new Error(f.message, cause === undefined ? undefined : { cause });
  error.name = f.code;
  return error;
}

class Batcher<E> {
  #pending: Pending<E>[] = [];
  #scheduled = false;
  readonly #calls = new Set<Promise<void>>();

  constructor(private readonly op: Operation<E>) {}

  /** Queues the entry for the next flush (at the end of this turn of the event loop); resolves with its outcome. */
  add(entry: E): Promise<EntryResult> {
    return new Promise((resolve) => {
      this.#pending.push({ entry, resolve });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Resolves once every entry added so far has its outcome. */
  async idle(): Promise<void> {
    while (this.#pending.length > 0 || this.#calls.size > 0) {
      if (this.#pending.length > 0) this.#flush();
      await Promise.allSettled([...this.#calls]);
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const pending = this.#pending;
    this.#pending = [];
    for (let i = 0; i < pending.length; i += MAX_BATCH_ENTRIES) {
      const call = this.#send(pending.slice(i, i + MAX_BATCH_ENTRIES));
      this.#calls.add(call);
      void call.finally(() => this.#calls.delete(call));
    }
  }

  async #send(batch: Pending<E>[]): Promise<void> {
    let todo = batch;
    for (let attempt = 1; todo.length > 0; attempt += 1) {
      const last = attempt >= 2;
      const again: Pending<E>[] = [];
      const fail = (p: Pending<E>, f: Failure, cause?: unknown) => {
        if (!last && !f.senderFault) again.push(p);
        else p.resolve({ ok: false, code: f.code, error: entryError(f, cause) });
      };
      const [only] = todo;
      if (todo.length === 1 && only) {
        try {
          await this.op.one(only.entry);
          only.resolve({ ok: true });
        } catch (error) {
          fail(only, describe(error), error);
        }
      } else {
        let failures: Map<number, Failure> | undefined;
        try {
          failures = await this.op.many(todo.map((p) => p.entry));
        } catch (error) {
          const f = describe(error);
          for (const p of todo) fail(p, f, error);
        }
        if (failures) {
          todo.forEach((p, i) => {
            const f = failures.get(i);
            if (f) fail(p, f);
            else p.resolve({ ok: true });
          });
        }
      }
      todo = again;
    }
  }
}

function failuresOf(failed: { Id?: string; Code?: string; Message?: string; SenderFault?: boolean }[] | undefined) {
  const out = new Map<number, Failure>();
  for (const f of failed ?? []) {
    const index = Number(f.Id?.slice(1));
    if (!Number.isInteger(index)) continue;
    out.set(index, {
      code: f.Code ?? 'Error',
      message: f.Message ?? f.Code ?? 'failed',
      senderFault: f.SenderFault === true,
    });
  }
  return out;
}

/** Batched DeleteMessage for one queue. */
export function deleteBatcher(client: SQSClient, QueueUrl: string) {
  return new Batcher<string>({
    async one(ReceiptHandle) {
      await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle }));
    },
    async many(handles) {
      const out = await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl,
          Entries: handles.map((ReceiptHandle, i) => ({ Id: `e${i}`, ReceiptHandle })),
        }),
      );
      return failuresOf(out.Failed);
    },
  });
}

export interface VisibilityEntry {
  ReceiptHandle: string;
  VisibilityTimeout: number;
}

/** Batched ChangeMessageVisibility for one queue. */
export function visibilityBatcher(client: SQSClient, QueueUrl: string) {
  return new Batcher<VisibilityEntry>({
    async one(entry) {
      await client.send(new ChangeMessageVisibilityCommand({ QueueUrl, ...entry }));
    },
    async many(entries) {
      const out = await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl,
          Entries: entries.map((entry, i) => ({ Id: `e${i}`, ...entry })),
        }),
      );
      return failuresOf(out.Failed);
    },
  });
}

export type DeleteBatcher = ReturnType<typeof deleteBatcher>;
export type VisibilityBatcher = ReturnType<typeof visibilityBatcher>;
