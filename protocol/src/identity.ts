/**
 * A workload's durable identity. The container ID changes on every re-create; this does not.
 * Durable records (snapshots, journals, histories) are keyed by `key`.
 *
 * - A compose service's container: `compose:<project>/<service>`; replicas after the first
 *   add `#<number>`, so scaled services keep one identity per replica slot.
 * - Any other container: `container:<name>`.
 */
export interface WorkloadIdentity {
  readonly kind: 'compose' | 'container';
  readonly key: string;
  /** For display: `project/service` or the container name. */
  readonly label: string;
}
