/**
 * One leadership term: fresh work queues, the two reconcilers and the verdict intake, running
 * until the term's signal aborts (leadership lost, or shutdown). Everything the caches hold is
 * queued at the start, so a new leader converges the whole cluster, not only what changes next.
 */
import type { NatsConnection } from 'nats';
import { errorMessage } from '../errors.js';
import type { ControllerContext } from './context.js';
import { IncidentReconciler } from './incidents/reconciler.js';
import { IncidentWriter } from './incidents/incident-writer.js';
import { VerdictIntake } from './incidents/verdict-intake.js';
import type { Enqueue } from './informers.js';
import { objectKey } from './k8s/resources.js';
import { WorkQueue, type ReconcileFn } from './k8s/work-queue.js';
import { PolicyReconciler } from './threatpolicy/reconciler.js';

export async function runTerm(
  ctx: ControllerContext,
  nats: NatsConnection,
  term: AbortSignal,
  setQueues: (q: Enqueue | undefined) => void,
): Promise<void> {
  const { config, metrics, logger } = ctx;
  const queue = (name: string) =>
    new WorkQueue(name, {
      backoff: config.requeue,
      onDepth: (d) => metrics.queueDepth.set({ controller: name }, d),
    });
  const policies = queue('threatpolicy');
  const incidents = queue('threatincident');
  const policyReconciler = new PolicyReconciler(ctx);
  const incidentReconciler = new IncidentReconciler(ctx);
  const writer = new IncidentWriter(ctx, {
    coalesceMs: config.verdicts.coalesceMs,
    quietMs: config.verdicts.quietMs,
    concurrency: config.verdicts.concurrency,
    onDrop: (key) => {
      policyReconciler.dropped.set(key, (policyReconciler.dropped.get(key) ?? 0) + 1);
      policies.add(key);
    },
    logger,
  });
  const intake = new VerdictIntake(ctx, nats, writer);

  setQueues({ policy: (k) => policies.add(k), incident: (k) => incidents.add(k) });
  for (const p of ctx.informers.policies.list()) policies.add(objectKey(p));
  for (const i of ctx.informers.incidents.list()) incidents.add(objectKey(i));

  const instrumented =
    (name: string, fn: ReconcileFn): ReconcileFn =>
    async (key) => {
      const started = performance.now();
      try {
        const result = await fn(key);
        metrics.reconciles.inc({ controller: name, result: 'success' });
        return result;
      } catch (err) {
        metrics.reconciles.inc({ controller: name, result: 'error' });
        metrics.reconcileErrors.inc({ controller: name });
        throw err;
      } finally {
        metrics.reconcileSeconds.observe({ controller: name }, (performance.now() - started) / 1000);
      }
    };
  const onError = (q: WorkQueue) => (key: string, err: unknown) => {
    // The first failure of a key is news; its retries are noise unless they go on.
    const level = q.retries(key) === 0 || q.retries(key) % 10 === 0 ? 'warn' : 'debug';
    logger[level](`${q.name} ${key}: ${errorMessage(err)} (retry ${q.retries(key) + 1})`);
  };
  const running = [
    policies.run(
      config.workers,
      instrumented('threatpolicy', (k) => policyReconciler.reconcile(k)),
      onError(policies),
    ),
    incidents.run(
      config.workers,
      instrumented('threatincident', (k) => incidentReconciler.reconcile(k)),
      onError(incidents),
    ),
    intake.run(term),
  ];
  await new Promise<void>((resolve) => {
    if (term.aborted) resolve();
    else term.addEventListener('abort', () => resolve(), { once: true });
  });
  setQueues(undefined);
  policies.shutDown();
  incidents.shutDown();
  await Promise.all(running);
  await writer.idle();
}
