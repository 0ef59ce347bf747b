/**
 * Incidents: the list, one incident with its verdict timeline, a sample of the entity's flows,
 * the audit log of its actions and the NetworkPolicies Enforce would apply; and the analyst's
 * answers (true/false positive, approve a step waiting for approval, release).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ActionTypeValues } from '../../../controller/threatpolicy/crd-types.js';
import { ControllerAuditStore } from '../../../detector/store/controller-audit.js';
import { ForesightError } from '../../../errors.js';
import { readable, requirePermission, type RouteContext } from '../context.js';
import type { AnalystAnswer, Permission } from '../types.js';
import { incidentView, summarize } from '../views.js';

const feedbackBody = z.object({
  verdict: z.enum(['TruePositive', 'FalsePositive']),
  note: z.string().max(2000).optional(),
});
const approveBody = z.object({ action: z.enum(ActionTypeValues) });
const releaseBody = z.object({ release: z.boolean().default(true) }).prefault({});

const TIMELINE_BEFORE_MS = 30 * 60_000;

function keyOf(req: FastifyRequest): { key: string; namespace: string } {
  const { namespace, name } = req.params as { namespace: string; name: string };
  return { key: `${namespace}/${name}`, namespace };
}

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new ForesightError('dashboard-invalid', detail);
  }
  return result.data;
}

export function incidentRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const audit = new ControllerAuditStore(ctx.db);

  app.get('/api/incidents', async (req) => {
    await requirePermission(ctx, req, 'read');
    const q = req.query as { phase?: string; entity?: string; limit?: string };
    const phases = q.phase ? q.phase.split(',').filter((p) => p) : undefined;
    const all = await ctx.incidents.list({
      ...(phases ? { phases } : {}),
      ...(q.entity ? { entity: q.entity } : {}),
      limit: q.limit ? Math.min(1000, Math.max(1, Number(q.limit) || 200)) : 200,
    });
    const list = await readable(ctx, req, all, (i) => i.metadata.namespace ?? '');
    return { now: ctx.now(), incidents: list.map(summarize) };
  });

  app.get('/api/incidents/:namespace/:name', async (req) => {
    const { key, namespace } = keyOf(req);
    await requirePermission(ctx, req, 'read', namespace);
    const incident = await ctx.incidents.get(key);
    const reveal = await ctx.access.allowed(req.principal!, 'reveal', namespace);
    const view = incidentView(incident);
    const now = ctx.now();
    const first = Date.parse(view.firstSeen ?? '') || now - TIMELINE_BEFORE_MS;
    const from = first - TIMELINE_BEFORE_MS;
    const entity = incident.spec.entity.key;
    const [verdicts, flows, actions, feedback, preview] = await Promise.all([
      ctx.verdicts.read({ entity, kind: incident.spec.entity.kind, from, to: now + ctx.windowMs }),
      ctx.flows.forEntity(entity, { from, to: now + ctx.windowMs, limit: 50 }),
      audit.actionsFor(key),
      audit.feedbackFor(key),
      ctx.incidents.enforcementPreview?.(key, reveal),
    ]);
    const latest = verdicts[verdicts.length - 1];
    return {
      now,
      incident: view,
      timeline: verdicts.map((v) => ({
        t: v.window.end,
        threat: v.scores.threat,
        anomaly: v.scores.anomaly,
        impact: v.scores.impact,
        confidence: v.scores.confidence,
      })),
      latestVerdict: latest
        ? {
            id: latest.id,
            window: latest.window,
            scores: latest.scores,
            detectors: latest.detectors,
            explanation: latest.explanation,
            targets: latest.targets,
            models: latest.models,
            ...(latest.prediction ? { prediction: latest.prediction } : {}),
          }
        : undefined,
      flows,
      audit: actions.map((a) => ({
        at: a.at,
        action: a.action,
        mode: a.mode,
        outcome: a.outcome,
        detail: a.detail,
      })),
      feedback,
      ...(preview ? { preview } : {}),
    };
  });

  const answer = async (req: FastifyRequest, permission: Permission, body: AnalystAnswer) => {
    const { key, namespace } = keyOf(req);
    const principal = await requirePermission(ctx, req, permission, namespace);
    const incident = await ctx.incidents.answer(key, body, principal.name);
    ctx.live.poke();
    return { incident: incidentView(incident) };
  };

  app.post('/api/incidents/:namespace/:name/feedback', (req) =>
    answer(req, 'feedback', parseBody(feedbackBody, req.body)),
  );
  app.post('/api/incidents/:namespace/:name/approve', (req) =>
    answer(req, 'approve', { approve: parseBody(approveBody, req.body).action }),
  );
  app.post('/api/incidents/:namespace/:name/release', (req) =>
    answer(req, 'approve', { release: parseBody(releaseBody, req.body).release }),
  );
}
