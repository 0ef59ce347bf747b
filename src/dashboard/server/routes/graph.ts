/**
 * The connection graph over a span and one entity's page: its traffic with forecast, its recent
 * verdicts, incidents and flows; and revealing anonymization tokens for principals allowed to.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { revealer } from '../../../controller/incidents/resolve.js';
import { connectionGraph } from '../../../detector/store/dashboard-queries.js';
import { readEntitySeries } from '../../../detector/store/series-queries.js';
import type { EntityKind } from '../../../detector/store/types.js';
import { ForesightError } from '../../../errors.js';
import { requirePermission, spanOf, type RouteContext } from '../context.js';
import { summarize } from '../views.js';
import { parseBody } from './incidents.js';

const revealBody = z.object({ tokens: z.array(z.string().max(200)).min(1).max(500) });

/** The graph spans minutes and the UI refreshes it every few ticks: one answer serves this long. */
const GRAPH_TTL_MS = 5000;

export function graphRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const graphs = new Map<string, { at: number; body: Promise<unknown> }>();
  app.get('/api/graph', async (req) => {
    await requirePermission(ctx, req, 'read');
    const q = req.query as { maxEdges?: string };
    const span = spanOf(req.query, 15 * 60_000);
    const maxEdges = Math.min(100_000, Math.max(10, Number(q.maxEdges ?? 60_000) || 60_000));
    const key = `${span}|${maxEdges}`;
    const hit = graphs.get(key);
    if (hit && performance.now() - hit.at < GRAPH_TTL_MS) return hit.body;
    const now = ctx.now();
    // Concurrent requests share one computation; the demo's rollups answer from memory.
    const fed = ctx.rollups.graph(now - span, now, maxEdges);
    const body = (
      fed
        ? Promise.resolve(fed)
        : connectionGraph(ctx.db, { from: now - span, to: now, windowMs: ctx.windowMs, maxEdges })
    ).then((g) => ({
      now,
      span: { from: now - span, to: now },
      ...g,
    }));
    graphs.set(key, { at: performance.now(), body });
    body.catch(() => graphs.delete(key));
    if (graphs.size > 20) graphs.delete(graphs.keys().next().value!);
    return body;
  });

  app.get('/api/entities/:kind/*', async (req) => {
    await requirePermission(ctx, req, 'read');
    const params = req.params as { kind: string; '*': string };
    const kind = params.kind as EntityKind;
    if (kind !== 'source' && kind !== 'destination') {
      throw new ForesightError('dashboard-invalid', `kind must be source or destination, got ${params.kind}`);
    }
    const entity = params['*'];
    const now = ctx.now();
    const span = spanOf(req.query);
    const from = now - span;
    const step = ctx.windowMs;
    const [series, verdicts, incidents, flows] = await Promise.all([
      readEntitySeries(ctx.db, entity, { from, to: now, windowMs: step, kind }),
      ctx.verdicts.read({ entity, kind, from, to: now + step }),
      ctx.incidents.list({ entity, limit: 50 }),
      ctx.flows.forEntity(entity, { from, to: now + step, limit: 50 }),
    ]);
    const t = series.flows.map((_, i) => series.startMs + i * series.stepMs);
    const cut = t.findIndex((x) => x + step > now);
    const n = cut < 0 ? t.length : cut;
    const target = (await ctx.forecasts.targets()).find((x) => x.scope === 'entity' && x.key === entity);
    const horizon = Math.max(1, Math.round((ctx.config.scoring.horizonSeconds * 1000) / step));
    const forecast =
      target && n > 0
        ? await ctx.forecasts.forecast(
            target,
            { startMs: t[0]!, stepMs: step, values: series.flows.slice(0, n) },
            horizon,
          )
        : undefined;
    return {
      now,
      entity,
      kind,
      traffic: { t: t.slice(0, n), flows: series.flows.slice(0, n), bytes: series.bytes.slice(0, n) },
      ...(forecast ? { forecast } : {}),
      timeline: verdicts.map((v) => ({
        t: v.window.end,
        threat: v.scores.threat,
        anomaly: v.scores.anomaly,
      })),
      latest: verdicts
        .slice(-1)
        .map((v) => ({ scores: v.scores, explanation: v.explanation, detectors: v.detectors }))[0],
      incidents: incidents.map(summarize),
      flows,
    };
  });

  app.post('/api/reveal', async (req) => {
    await requirePermission(ctx, req, 'reveal');
    const { tokens } = parseBody(revealBody, req.body);
    const anonymizer = ctx.anonymizer;
    if (!anonymizer?.enabled)
      throw new ForesightError('dashboard-no-key', 'addresses are not anonymized here');
    const reveal = revealer(anonymizer);
    const addresses: Record<string, string> = {};
    for (const token of tokens) {
      const ip = reveal(token);
      if (ip !== undefined) addresses[token] = ip;
    }
    ctx.logger.info('addresses revealed', {
      user: req.principal?.name,
      count: Object.keys(addresses).length,
    });
    return { addresses };
  });
}
