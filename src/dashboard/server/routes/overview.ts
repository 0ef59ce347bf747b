/**
 * Session, overview and chart series: who the caller is and may be; flows per second, top talkers,
 * active incidents and actions; traffic of a scope with the forecast and its interval ahead of
 * now and the capacity line; highest threat and anomaly per step.
 */
import type { FastifyInstance } from 'fastify';
import { ForesightError } from '../../../errors.js';
import { ANOMALY_DETECTORS } from '../../../detector/models/anomaly-models.js';
import type { ForecastTarget } from '../../../detector/scoring/forecaster.js';
import type { StepSeries } from '../../../detector/store/dashboard-queries.js';
import { readEntitySeries } from '../../../detector/store/series-queries.js';
import { PERMISSIONS, type Permission } from '../types.js';
import { principalOf, readable, requirePermission, spanOf, type RouteContext } from '../context.js';
import { summarize } from '../views.js';

const ACTIVE = ['Open', 'Mitigated'];
const BLOCK_THRESHOLD = 0.8;

export function overviewRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/api/session', async (req) => {
    const principal = principalOf(req);
    const permissions: Partial<Record<Permission, boolean>> = {};
    for (const p of PERMISSIONS) permissions[p] = await ctx.access.allowed(principal, p);
    return {
      user: principal.name,
      permissions,
      mode: ctx.mode,
      now: ctx.now(),
      windowMs: ctx.windowMs,
      anonymized: ctx.anonymizer?.enabled ?? false,
      canRetrain: ctx.retrain !== undefined,
      ...(ctx.status ? { status: ctx.status() } : {}),
      detectors: [...ANOMALY_DETECTORS, 'forecast', 'lstm'],
      thresholds: { incident: ctx.config.scoring.actionThreshold, block: BLOCK_THRESHOLD },
    };
  });

  app.get('/api/overview', async (req) => {
    await requirePermission(ctx, req, 'read');
    const now = ctx.now();
    const span = spanOf(req.query);
    const range = { from: now - span, to: now, windowMs: ctx.windowMs };
    const [traffic, talkers, incidents, firings] = await Promise.all([
      ctx.rollups.clusterTraffic(range.from, range.to, now),
      ctx.rollups.topTalkers(range.from, range.to, now, 10),
      ctx.incidents.list({ limit: 200 }),
      ctx.rules.recentFirings(10),
    ]);
    const last = lastComplete(traffic, now, ctx.windowMs);
    const summaries = (await readable(ctx, req, incidents, (i) => i.metadata.namespace ?? '')).map(summarize);
    const counts: Record<string, number> = {};
    for (const s of summaries) counts[s.phase] = (counts[s.phase] ?? 0) + 1;
    const actions = summaries.flatMap((s) =>
      s.actions.map((a) => ({ incident: s.key, entity: s.entity.key, ...a })),
    );
    return {
      now,
      span: { from: range.from, to: range.to },
      flowsPerSecond: last ? last.flows / (ctx.windowMs / 1000) : 0,
      totals: {
        flows: traffic.flows.reduce((a, b) => a + b, 0),
        bytes: traffic.bytes.reduce((a, b) => a + b, 0),
      },
      topTalkers: talkers,
      incidents: {
        counts,
        active: summaries
          .filter((s) => ACTIVE.includes(s.phase))
          .sort((a, b) => b.threat - a.threat)
          .slice(0, 50),
      },
      actions: actions.sort((a, b) => (a.expiresAt ?? '').localeCompare(b.expiresAt ?? '')),
      firings,
    };
  });

  app.get('/api/series', async (req) => {
    await requirePermission(ctx, req, 'read');
    const q = req.query as { scope?: string; key?: string };
    const now = ctx.now();
    const span = spanOf(req.query);
    const from = now - span;
    const step = ctx.windowMs;
    const targets = await ctx.forecasts.targets();
    const scope = q.scope ?? 'auto';
    let target: ForecastTarget | undefined;
    let traffic: { t: number[]; flows: number[] };
    if (scope === 'cluster') {
      traffic = await ctx.rollups.clusterTraffic(from, now, now);
    } else {
      const key = q.key ?? targets.find((t) => t.scope === 'namespace')?.key;
      if (!key) traffic = await ctx.rollups.clusterTraffic(from, now, now);
      else {
        if (scope === 'entity') {
          const s = await readEntitySeries(ctx.db, key, { from, to: now, windowMs: step, kind: 'source' });
          traffic = { t: s.flows.map((_, i) => s.startMs + i * s.stepMs), flows: s.flows };
        } else traffic = await ctx.rollups.namespaceTraffic(key, from, now);
        target = targets.find(
          (t) => t.key === key && t.scope === (scope === 'entity' ? 'entity' : 'namespace'),
        );
        if (!target)
          target = {
            scope: scope === 'entity' ? 'entity' : 'namespace',
            key,
            metric: 'flows',
            kind: 'source',
          };
      }
    }
    // The step still filling is not drawn: it would read as a sudden drop.
    const complete = traffic.t.findIndex((t) => t + step > now);
    const cut = complete < 0 ? traffic.t.length : complete;
    const t = traffic.t.slice(0, cut);
    const flows = traffic.flows.slice(0, cut);
    const horizonSteps = Math.max(1, Math.round((ctx.config.scoring.horizonSeconds * 1000) / step));
    const forecast =
      target && t.length > 0
        ? await ctx.forecasts.forecast(target, { startMs: t[0]!, stepMs: step, values: flows }, horizonSteps)
        : undefined;
    const capacity = target ? ctx.config.scoring.capacity[`${target.scope}:${target.key}`] : undefined;
    const scores = await ctx.rollups.scoreSteps(from, now, now);
    if (scope !== 'cluster' && scope !== 'auto' && scope !== 'namespace' && scope !== 'entity') {
      throw new ForesightError(
        'dashboard-invalid',
        `scope must be cluster, namespace or entity, got ${scope}`,
      );
    }
    return {
      now,
      stepMs: step,
      scope: target ? { scope: target.scope, key: target.key } : { scope: 'cluster', key: '' },
      traffic: { t, flows },
      ...(forecast ? { forecast } : {}),
      ...(capacity === undefined ? {} : { capacity }),
      scores,
      thresholds: { incident: ctx.config.scoring.actionThreshold, block: BLOCK_THRESHOLD },
      targets: targets
        .filter((x) => x.scope === 'namespace')
        .map((x) => ({ scope: x.scope, key: x.key }))
        .sort((a, b) => a.key.localeCompare(b.key)),
    };
  });
}

function lastComplete(s: StepSeries, now: number, step: number): { t: number; flows: number } | undefined {
  for (let i = s.t.length - 1; i >= 0; i--) {
    if (s.t[i]! + step <= now) return { t: s.t[i]!, flows: s.flows[i]! };
  }
  return undefined;
}
