import * as vscode from 'vscode';

/** The workload an operation acts on, as every view and the log name it. */
export interface OperationWorkload {
  /**
   * Its durable identity key (`container:web`, `compose:shop/db`): the key the backend locks and
   * every view shows the workload under, stable when the container is re-created.
   */
  readonly key: string;
  /** Its name for people. */
  readonly name: string;
}

/**
 * The workloads this client runs an operation on, by identity key, and what the operation does
 * (`restore`, `capture`): every view that shows such a workload marks it busy until the
 * operation ends. Two operations may mark one workload (the backend refuses the second with
 * Busy); ending the second does not clear the first's mark.
 */
export class BusyWorkloads implements vscode.Disposable {
  private readonly marks = new Map<string, { readonly operation: string }[]>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  /** What the first operation still running on this identity key does, if any. */
  get(key: string): string | undefined {
    return this.marks.get(key)?.[0]?.operation;
  }

  /** Marks the workload busy until the returned disposable is disposed. */
  mark(key: string, operation: string): vscode.Disposable {
    const mark = { operation };
    this.marks.set(key, [...(this.marks.get(key) ?? []), mark]);
    this.changed.fire();
    let released = false;
    return {
      dispose: () => {
        if (released) return;
        released = true;
        const rest = (this.marks.get(key) ?? []).filter((m) => m !== mark);
        if (rest.length > 0) this.marks.set(key, rest);
        else this.marks.delete(key);
        this.changed.fire();
      },
    };
  }

  dispose(): void {
    this.changed.dispose();
  }
}
