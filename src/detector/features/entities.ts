/**
 * Which entities a flow belongs to. A source entity always (the workload behind the source, or
 * its anonymized address); a destination entity when the destination is a workload or an
 * internal address (a service being talked to), so that a flood or scan against it shows up in
 * its own behaviour too.
 */
import type { FlowRecord, K8sIdentity } from '../../flows/flow-record.js';
import type { EntityKind } from '../store/types.js';

export interface EntityRef {
  kind: EntityKind;
  /** `<namespace>/<workload>` or `ip:<token>`. */
  entity: string;
  namespace?: string;
  workload?: string;
}

export function entityOf(kind: EntityKind, address: string, id: K8sIdentity | undefined): EntityRef {
  if (id) {
    const workload = id.workload ?? id.pod ?? 'unknown';
    return { kind, entity: `${id.namespace}/${workload}`, namespace: id.namespace, workload };
  }
  return { kind, entity: `ip:${address}` };
}

/** `flow` must already be anonymized; `dstInternal` was decided on the raw address. */
export function flowEntities(
  flow: FlowRecord,
  dstInternal: boolean,
  kinds: readonly EntityKind[],
): { source?: EntityRef; destination?: EntityRef } {
  const source = kinds.includes('source') ? entityOf('source', flow.src, flow.srcK8s) : undefined;
  const destination =
    kinds.includes('destination') && (flow.dstK8s !== undefined || dstInternal)
      ? entityOf('destination', flow.dst, flow.dstK8s)
      : undefined;
  return { source, destination };
}
