/** What pages share: the session, the dashboard's clock (simulated in the demo), navigation. */

export interface Session {
  user: string;
  permissions: Record<string, boolean>;
  mode: 'demo' | 'cluster';
  now: number;
  windowMs: number;
  anonymized: boolean;
  canRetrain: boolean;
  detectors: string[];
  thresholds: { incident: number; block: number };
  status?: { phase: string; flows: number; windows: number; verdicts: number };
}

export interface Page {
  title: string;
  el: HTMLElement;
  /** A live event arrived (tick, incidents, alert, models). */
  onLive?(type: string, data: unknown): void;
  destroy?(): void;
}

export interface App {
  session: Session;
  /** The latest "now" the server told (ticks move it). */
  now(): number;
  can(permission: string): boolean;
  go(hash: string): void;
}

export interface TickData {
  now: number;
  flowsPerSecond: number;
  traffic: { t: number; flows: number };
  score: { t: number; threat: number | null; anomaly: number | null };
  incidents: Record<string, number>;
}

/** Figures the browser tests read (window.__foresight): chart updates and graph timings. */
export const probe = {
  chartUpdates: 0,
  lastTrafficT: 0,
  graph: { firstRenderMs: 0, fetchMs: 0, lastApplyMs: 0, lastUpdateMs: 0, updates: 0, nodes: 0, edges: 0 },
  /** Set by the graph page: fetches and applies the graph again (a live update on demand). */
  refreshGraph: undefined as (() => Promise<void>) | undefined,
};
(globalThis as unknown as { __foresight: typeof probe }).__foresight = probe;
