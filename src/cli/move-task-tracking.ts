// Following one's own SQS message move task in ListMessageMoveTasks: while it runs it is the entry with the
// TaskHandle StartMessageMoveTask returned; once it ends AWS drops the handle, so it is then known by its start time
// (one task per source queue runs at a time). Shared by `switchyard redrive` and the demo's redrive.
import type { ListMessageMoveTasksResultEntry } from '@aws-sdk/client-sqs';

/** A finder of the task started with `handle` among the results of successive ListMessageMoveTasks calls. */
export function moveTaskFinder(
  handle: string | undefined,
): (results: readonly ListMessageMoveTasksResultEntry[]) => ListMessageMoveTasksResultEntry | undefined {
  let startedAt: number | undefined;
  return (results) => {
    const byHandle = results.find((r) => r.TaskHandle === handle);
    if (byHandle) {
      startedAt = byHandle.StartedTimestamp;
      return byHandle;
    }
    if (startedAt !== undefined) return results.find((r) => r.StartedTimestamp === startedAt && !r.TaskHandle);
    // Finished before the first look: the newest task without a handle.
    return results.find((r) => !r.TaskHandle);
  };
}
