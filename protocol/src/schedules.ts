import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { QuiesceMode } from './choices';
import type { RetentionPolicy } from './snapshots';

/**
 * One scheduled snapshot (docs/schedules.md), as the `berth.schedules` setting and the CLI's
 * file in the state directory hold it.
 */
export interface ScheduleEntry {
  /** A workload (identity key such as `compose:shop/db`, or a name), or `project:<name>`. */
  readonly target: string;
  /** A five-field cron expression (`0 3 * * *`) or a nickname (`@daily`), in local time. */
  readonly cron: string;
  /** Given to every snapshot the schedule takes. */
  readonly label?: string;
  /** Applied to the target after each successful run. */
  readonly retention?: RetentionPolicy;
  /** Defaults to `pause`. */
  readonly quiesce?: QuiesceMode;
}

/** What a scheduled run came to. */
export type ScheduleOutcome = 'running' | 'ok' | 'failed' | 'skipped-busy' | 'interrupted';

export interface ScheduleRun {
  /** The cron slot this run stands for (ISO time). */
  readonly slot: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly outcome: ScheduleOutcome;
  /** Why it failed or was skipped. */
  readonly message?: string;
  /** True when the slot had passed unattended (the machine was off): this run caught it up once. */
  readonly caughtUp?: boolean;
  /** The records it made (a set's members for a project). */
  readonly recordIds?: readonly string[];
  /** The set it made, for a project. */
  readonly setId?: string;
  /** Records retention removed afterwards. */
  readonly pruned?: readonly string[];
}

export interface ScheduleInfo {
  /** 12 hex digits from the target and the cron expression: the schedule's identity. */
  readonly id: string;
  readonly entry: ScheduleEntry;
  /** Where it is defined; `both` when the setting and the file hold the same identity. */
  readonly source: 'settings' | 'file' | 'both';
  /** Its number in the CLI's file (`berth schedule remove <n>`). */
  readonly index?: number;
  /** ISO time of its next slot; absent when it cannot run (see `problem`). */
  readonly nextRun?: string;
  readonly lastRun?: ScheduleRun;
  /** Why it cannot run (an invalid cron expression, target or retention). */
  readonly problem?: string;
}

export interface ListSchedulesResult {
  readonly schedules: readonly ScheduleInfo[];
  /** Problems with the sources themselves (the setting is not a list, the file cannot be read). */
  readonly problems: readonly string[];
}
/** Client → server. The schedules the backend runs: the setting's and the file's, with next and last runs. */
export namespace ListSchedulesRequest {
  export const method = 'berth/schedules/list';
  export const type = new RequestType<void, ListSchedulesResult, void>(method);
}

export interface ScheduleDidRunParams {
  readonly schedule: ScheduleInfo;
  readonly run: ScheduleRun;
}
/** Server → client. A scheduled run finished (the client tells the user when it failed). */
export namespace ScheduleDidRunNotification {
  export const method = 'berth/schedules/didRun';
  export const type = new NotificationType<ScheduleDidRunParams>(method);
}
