import * as l10n from '@vscode/l10n';
import type { Connection } from 'vscode-languageserver/node';
import { ListSchedulesRequest, ScheduleDidRunNotification, SnapshotsChangedNotification, WorkloadsChangedNotification } from '../../../protocol/src';
import type { Backend } from '../backend';
import type { Log } from '../log';
import { notify, onRequest, type RequestOptions } from '../rpc';
import { ScheduleLoop } from '../schedules/loop';

/** berth/schedules/list, and the loop that runs due schedules while the client is connected. */
export function registerScheduleHandlers(connection: Connection, log: Log, backend: Backend, hooks: Pick<RequestOptions, 'onEngineUnreachable' | 'stateDir'> = {}): ScheduleLoop {
  onRequest(connection, log, ListSchedulesRequest, async () => backend.schedules.list(backend.scheduleSources()), { title: l10n.t('Listing schedules'), ...hooks });
  return new ScheduleLoop(backend.schedules, () => backend.scheduleSources(), () => backend.now(), log, (report) => {
    notify(connection, ScheduleDidRunNotification.type, report);
    notify(connection, SnapshotsChangedNotification.type, { reason: 'schedule' });
    notify(connection, WorkloadsChangedNotification.type, { reason: 'operation' });
  });
}
