/**
 * Models: every registry version with its validation figures, which one is active; promote a
 * version, roll back to the previous one, and (where offered) retrain now.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ForesightError } from '../../../errors.js';
import { requirePermission, type RouteContext } from '../context.js';
import { parseBody } from './incidents.js';

const promoteBody = z.object({ version: z.number().int().min(1), note: z.string().max(500).optional() });
const rollbackBody = z.object({ note: z.string().max(500).optional() }).prefault({});

export function modelRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/api/models', async (req) => {
    await requirePermission(ctx, req, 'read');
    const versions = await ctx.registry.list();
    const byName = new Map<string, typeof versions>();
    for (const v of versions) byName.set(v.name, [...(byName.get(v.name) ?? []), v]);
    return {
      models: [...byName].map(([name, list]) => ({
        name,
        active: list.find((v) => v.status === 'active')?.version,
        versions: list,
      })),
    };
  });

  app.post('/api/models/:name/promote', async (req) => {
    const principal = await requirePermission(ctx, req, 'models');
    const { name } = req.params as { name: string };
    const body = parseBody(promoteBody, req.body);
    await ctx.registry.promote(
      name,
      body.version,
      body.note ?? `promoted by ${principal.name} from the dashboard`,
    );
    ctx.live.poke();
    return { versions: await ctx.registry.activeVersions() };
  });

  app.post('/api/models/:name/rollback', async (req) => {
    const principal = await requirePermission(ctx, req, 'models');
    const { name } = req.params as { name: string };
    const body = parseBody(rollbackBody, req.body);
    const result = await ctx.registry.rollback(
      name,
      body.note ?? `rolled back by ${principal.name} from the dashboard`,
    );
    ctx.live.poke();
    return { ...result, versions: await ctx.registry.activeVersions() };
  });

  app.post('/api/models/retrain', async (req, reply) => {
    await requirePermission(ctx, req, 'models');
    if (!ctx.retrain)
      throw new ForesightError('dashboard-unsupported', 'training runs on its own schedule here');
    const run = ctx.retrain;
    // Training takes a while: answer at once; the models event tells the UI when versions change.
    run().catch((err: unknown) => ctx.logger.warn(`retraining failed: ${String(err)}`));
    return reply.code(202).send({ started: true });
  });
}
