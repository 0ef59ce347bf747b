/**
 * What the scorer remembers per entity between batches, bounded (least recently scored entities
 * are forgotten first): how many windows of it came before (history length, for confidence;
 * seeded from the store the first time an entity is seen, so a restart does not make every
 * entity look new), and its recent threat scores on non-overlapping windows (for the trend
 * prediction; sliding windows would feed the trend test six near-copies of each minute), and
 * for sources the state of their scan test.
 */
import type { ScanState } from '../models/scan-test.js';
import type { ScorePoint } from './threat-trend.js';

export interface EntityMemory {
  history: number;
  trend: ScorePoint[];
  /** The source's scan test (scan-scoring.ts); absent before its first trial. */
  scan?: ScanState;
}

export const TREND_POINTS = 20;

export class EntityState {
  private readonly map = new Map<string, EntityMemory>();

  constructor(private readonly capacity: number) {}

  static key(kind: string, entity: string): string {
    return `${kind}:${entity}`;
  }

  get(key: string): EntityMemory | undefined {
    const m = this.map.get(key);
    if (m) {
      this.map.delete(key);
      this.map.set(key, m);
    }
    return m;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Adds an entity seen for the first time, with `history` windows before it. */
  add(key: string, history: number): EntityMemory {
    const m: EntityMemory = { history, trend: [] };
    this.map.set(key, m);
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value;
      if (oldest === undefined) break;
      this.map.delete(oldest);
    }
    return m;
  }

  /** Records a scored window; `trendPoint` only for non-overlapping windows. */
  record(m: EntityMemory, trendPoint?: ScorePoint): void {
    m.history++;
    if (trendPoint) {
      m.trend.push(trendPoint);
      if (m.trend.length > TREND_POINTS) m.trend.splice(0, m.trend.length - TREND_POINTS);
    }
  }

  get size(): number {
    return this.map.size;
  }
}
