/**
 * What every route module receives: the stores, the backends, access control and the clock.
 * Built once by createDashboardServer (server.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/schema.js';
import { ForesightError } from '../../errors.js';
import type { Db } from '../../detector/store/db.js';
import type { FlowSampleStore } from '../../detector/store/flow-samples.js';
import type { ModelRegistry } from '../../detector/store/model-registry.js';
import type { VerdictStore } from '../../detector/store/verdict-store.js';
import type { AddressAnonymizer } from '../../flows/anonymizer.js';
import type { Logger } from '../../observability/logger.js';
import type { ForecastView } from './forecast-view.js';
import type { LiveHub } from './live.js';
import type { Rollups } from './rollups.js';
import type { AccessControl, IncidentBackend, Permission, Principal, RuleBackend } from './types.js';

export interface DashboardDeps {
  db: Db;
  registry: ModelRegistry;
  verdicts: VerdictStore;
  /** The flow sample (the store, or the demo's copy of its newest flows). */
  flows: Pick<FlowSampleStore, 'forEntity'>;
  incidents: IncidentBackend;
  rules: RuleBackend;
  access: AccessControl;
  /** Reveals tokens for principals allowed to (absent: anonymization is off or no key). */
  anonymizer?: AddressAnonymizer;
  config: Config;
  logger: Logger;
  /** The dashboard's "now": the simulated clock in the demo, the wall clock in a cluster. */
  now: () => number;
  mode: 'demo' | 'cluster';
  /** Origins besides the dashboard's own allowed to make changes (a proxy's public origin). */
  allowedOrigins?: readonly string[];
  /** Directory of the built web UI (index.html, assets/); absent: API only. */
  webRoot?: string;
  liveIntervalMs?: number;
  /** How long after a step's end its windows and verdicts are final (default 0: the demo writes in order). */
  settleMs?: number;
  /** How long identical GET answers are reused (default 1000 ms; 0: never). */
  cacheMs?: number;
  /** Starts a training run now (the demo offers it after feedback). */
  retrain?: () => Promise<unknown>;
  /** What the demo is doing (warm-up, training, live) and how much it has ingested. */
  status?: () => Record<string, unknown>;
  /** Rollups kept by the caller (the demo feeds them); made here when absent. */
  rollups?: Rollups;
  /** Told how many API requests are in flight whenever that changes (the demo's ingest holds back meanwhile). */
  onInFlight?: (requests: number) => void;
}

export interface RouteContext extends Omit<DashboardDeps, 'rollups'> {
  forecasts: ForecastView;
  rollups: Rollups;
  live: LiveHub;
  windowMs: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** Shares this GET's answer with identical requests (response-cache.ts). */
    fillCache?: (body: string | undefined) => void;
  }
}

/** The authenticated principal (the auth hook guarantees one on /api routes). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new ForesightError('dashboard-unauthenticated', 'not authenticated');
  return req.principal;
}

/** Throws a 403 unless the principal holds the permission. */
export async function requirePermission(
  ctx: RouteContext,
  req: FastifyRequest,
  permission: Permission,
  namespace?: string,
): Promise<Principal> {
  const principal = principalOf(req);
  if (!(await ctx.access.allowed(principal, permission, namespace))) {
    throw new ForesightError(
      'dashboard-forbidden',
      `${principal.name} may not ${permission}${namespace ? ` in namespace ${namespace}` : ''}`,
    );
  }
  return principal;
}

/** Span query parameter (ms) bounded to [1 min, 7 days]; default one hour. */
export function spanOf(query: unknown, fallback = 3_600_000): number {
  const raw = (query as { span?: string } | undefined)?.span;
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(n))
    throw new ForesightError('dashboard-invalid', `span must be a number of ms, got ${raw}`);
  return Math.min(7 * 86_400_000, Math.max(60_000, n));
}

export type Reply = FastifyReply;

/** Keeps the items in namespaces where the principal may read (one review per namespace). */
export async function readable<T>(
  ctx: RouteContext,
  req: FastifyRequest,
  items: readonly T[],
  namespaceOf: (item: T) => string,
): Promise<T[]> {
  const principal = principalOf(req);
  const verdicts = new Map<string, boolean>();
  for (const ns of new Set(items.map(namespaceOf)))
    verdicts.set(ns, await ctx.access.allowed(principal, 'read', ns));
  return items.filter((i) => verdicts.get(namespaceOf(i)) === true);
}
