/**
 * Custom alert rules: list (with the policies a rule can belong to and the metrics it can use),
 * create, edit and delete. Where they live is the backend's business (store or ThreatPolicy).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ForesightError } from '../../../errors.js';
import { readable, requirePermission, type RouteContext } from '../context.js';
import type { RuleInput } from '../types.js';
import { parseBody } from './incidents.js';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const ruleSchema = z.object({
  policy: z.string().regex(/^[a-z0-9][-a-z0-9.]*\/[a-z0-9][-a-z0-9.]*$/, 'namespace/name of a policy'),
  name: z.string().max(63).regex(NAME, 'lower-case letters, digits and dashes'),
  entity: z
    .string()
    .max(253)
    .regex(/^[^\s]+$/, 'a glob without spaces, e.g. shop/* or ip:*')
    .optional(),
  metric: z.string().min(1).max(64),
  feature: z.string().max(64).optional(),
  threshold: z.number().finite().min(0),
  count: z.number().int().min(1).max(1000).default(1),
  windowSeconds: z.number().int().min(10).max(86_400),
  severity: z.enum(['info', 'warning', 'critical']).default('warning'),
});

export function ruleRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { rules } = ctx;
  const detectors = () => [...new Set(['isolation-forest', 'ocsvm', 'kmeans', 'dbscan', 'forecast', 'lstm'])];
  const metrics = () => ['threat', ...detectors().map((d) => `detector:${d}`), ...rules.metrics];

  const validate = (body: unknown): RuleInput => {
    const rule: RuleInput = parseBody(ruleSchema, body);
    if (!metrics().includes(rule.metric)) {
      throw new ForesightError('dashboard-invalid', `metric must be one of ${metrics().join(', ')}`);
    }
    if (rule.entity !== undefined && !rules.entitySelectors) {
      throw new ForesightError(
        'dashboard-invalid',
        'entity selectors are not supported for rules kept in ThreatPolicy objects: the policy pod selector scopes them',
      );
    }
    if (
      ['threat', 'anomaly', 'impact', 'confidence'].includes(rule.metric) ||
      rule.metric.startsWith('detector:')
    ) {
      if (rule.threshold > 1) throw new ForesightError('dashboard-invalid', 'score thresholds are in [0, 1]');
    }
    return rule;
  };

  app.get('/api/rules', async (req) => {
    await requirePermission(ctx, req, 'read');
    const [all, allPolicies, allFirings] = await Promise.all([
      rules.list(),
      rules.policies(),
      rules.recentFirings(20),
    ]);
    const ns = (key: string) => key.split('/')[0] ?? '';
    const [list, policies, firings] = await Promise.all([
      readable(ctx, req, all, (r) => ns(r.policy)),
      readable(ctx, req, allPolicies, (p) => p.namespace),
      readable(ctx, req, allFirings, (f) => ns(f.rule)),
    ]);
    return { rules: list, policies, metrics: metrics(), entitySelectors: rules.entitySelectors, firings };
  });

  app.post('/api/rules', async (req, reply) => {
    const rule = validate(req.body);
    await requirePermission(ctx, req, 'rules', rule.policy.split('/')[0]);
    const created = await rules.create(rule);
    return reply.code(201).send({ rule: created });
  });

  app.put('/api/rules/*', async (req) => {
    const id = (req.params as { '*': string })['*'];
    const rule = validate(req.body);
    await requirePermission(ctx, req, 'rules', id.split('/')[0]);
    if (rule.policy.split('/')[0] !== id.split('/')[0])
      await requirePermission(ctx, req, 'rules', rule.policy.split('/')[0]);
    return { rule: await rules.update(id, rule) };
  });

  app.delete('/api/rules/*', async (req, reply) => {
    const id = (req.params as { '*': string })['*'];
    await requirePermission(ctx, req, 'rules', id.split('/')[0]);
    await rules.delete(id);
    return reply.code(204).send();
  });
}
