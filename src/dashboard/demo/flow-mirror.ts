/**
 * The dashboard's copy of the demo's flow sample: the worker sends every sampled flow it stores,
 * and the newest `perEntity` flows of each entity (as source or destination) are kept here, so
 * the incident and entity pages read "the entity's recent flows" from memory, with the store's
 * answer (newest first, within the range, at most `limit`) as long as `limit` ≤ `perEntity`.
 * Entities silent for `keepMs` are forgotten, as the store trims its sample.
 */
import type { StoredFlow } from '../../detector/store/flow-samples.js';

export class FlowSampleMirror {
  /** Per entity, oldest first. */
  private readonly byEntity = new Map<string, StoredFlow[]>();
  private newest = -Infinity;
  private applied = 0;

  constructor(
    private readonly perEntity = 64,
    private readonly keepMs = 3 * 3_600_000,
  ) {}

  apply(flows: readonly StoredFlow[]): void {
    for (const f of flows) {
      this.newest = Math.max(this.newest, f.ts);
      for (const e of new Set([f.srcEntity, f.dstEntity])) {
        if (e === undefined) continue;
        const list = this.byEntity.get(e) ?? [];
        list.push(f);
        if (list.length > this.perEntity * 2) list.splice(0, list.length - this.perEntity);
        this.byEntity.set(e, list);
      }
    }
    if (++this.applied % 1000 === 0) {
      for (const [e, list] of this.byEntity) {
        if ((list[list.length - 1]?.ts ?? -Infinity) < this.newest - this.keepMs) this.byEntity.delete(e);
      }
    }
  }

  forEntity(entity: string, range: { from: number; to: number; limit?: number }): Promise<StoredFlow[]> {
    const list = this.byEntity.get(entity) ?? [];
    const out = list
      .filter((f) => f.ts >= range.from && f.ts < range.to)
      .sort((a, b) => b.ts - a.ts)
      .slice(0, Math.min(range.limit ?? 100, this.perEntity));
    return Promise.resolve(out);
  }
}
