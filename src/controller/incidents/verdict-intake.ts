/**
 * The verdict intake (leader only): consumes verdicts from the VERDICTS stream, resolves their
 * tokens to addresses and pods, finds the policies whose namespace and selector cover the
 * entity or a target, scores each under its policy, evaluates the policy's alert rules, and
 * hands an observation to the incident writer. A verdict is acked once every write it caused
 * is durable; malformed ones are terminated (never redelivered) and counted; failures are
 * nak'ed and come back.
 */
import type { JsMsg, NatsConnection } from 'nats';
import type { Verdict } from '../../detector/scoring/verdict.js';
import { errorMessage } from '../../errors.js';
import { Backoff, formatDelay } from '../../util/backoff.js';
import { incidentName } from '../actuators/names.js';
import type { ControllerContext } from '../context.js';
import type { ThreatPolicy } from '../threatpolicy/crd-types.js';
import { geometry, touchedNamespaces } from '../threatpolicy/matching.js';
import { AlertRuleWindows } from './alert-rules.js';
import type { IncidentWriter } from './incident-writer.js';
import { isLive } from './ladder.js';
import { effectiveSteps } from './plan.js';
import { resolveAll } from './resolve.js';
import { policyScore, predictionWithin, resolveCriticality } from './scoring.js';
import { parseVerdict } from './verdict-parse.js';
import { ensureVerdictStream } from './verdict-stream.js';

export class VerdictIntake {
  private readonly rules = new AlertRuleWindows();
  private readonly handling = new Set<Promise<void>>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly nats: NatsConnection,
    private readonly writer: IncidentWriter,
  ) {}

  /** Consumes until `signal` aborts, then waits for the verdicts being handled. */
  async run(signal: AbortSignal): Promise<void> {
    const { config, logger } = this.ctx;
    const backoff = new Backoff({ initialMs: 500, maxMs: 15_000 });
    while (!signal.aborted) {
      try {
        await ensureVerdictStream(await this.nats.jetstreamManager(), config.verdicts, logger);
        const consumer = await this.nats
          .jetstream()
          .consumers.get(config.verdicts.stream, config.verdicts.durable);
        const messages = await consumer.consume({
          max_messages: config.verdicts.fetchBatch,
          expires: Math.max(config.verdicts.fetchExpiresMs, 1000),
        });
        const stop = () => messages.stop();
        signal.addEventListener('abort', stop, { once: true });
        backoff.reset();
        try {
          for await (const m of messages) {
            const p = this.handle(m).finally(() => this.handling.delete(p));
            this.handling.add(p);
          }
        } finally {
          signal.removeEventListener('abort', stop);
        }
      } catch (err) {
        if (signal.aborted) break;
        const delay = backoff.next();
        logger.warn(`verdict consumer failed (${errorMessage(err)}); restarting in ${formatDelay(delay)}`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    await Promise.allSettled([...this.handling]);
  }

  private async handle(m: JsMsg): Promise<void> {
    let verdict: Verdict;
    try {
      verdict = parseVerdict(m.data);
    } catch (err) {
      this.ctx.metrics.verdicts.inc({ result: 'invalid' });
      this.ctx.logger.warn(`dropping verdict on ${m.subject}: ${errorMessage(err)}`);
      m.term();
      return;
    }
    try {
      await this.process(verdict);
      m.ack();
    } catch (err) {
      this.ctx.metrics.verdicts.inc({ result: 'failed' });
      this.ctx.logger.warn(`verdict ${verdict.id} not recorded, will be redelivered: ${errorMessage(err)}`);
      m.nak(1000);
    }
  }

  /** Matches one verdict to policies and writes its observations; resolves when they are durable. */
  async process(verdict: Verdict): Promise<void> {
    const ctx = this.ctx;
    const { entity } = verdict;
    const resolved = resolveAll(
      entity,
      entity.addresses,
      verdict.targets.map((t) => t.address),
      ctx.reveal,
      ctx.view,
    );
    const watched = ctx.config.namespaces;
    const policies: ThreatPolicy[] = [];
    for (const ns of touchedNamespaces(entity.namespace, resolved)) {
      if (watched.length > 0 && !watched.includes(ns)) continue;
      policies.push(...ctx.informers.policies.list(ns).filter((p) => !p.metadata.deletionTimestamp));
    }
    const writes: Promise<void>[] = [];
    let matched = false;
    for (const policy of policies) {
      const namespace = policy.metadata.namespace ?? '';
      const geo = geometry(entity.kind, resolved, { namespace, selector: policy.spec.podSelector });
      if (!geo) continue;
      matched = true;
      const criticality = resolveCriticality(
        policy.spec.criticality,
        geo.protectedPods,
        ctx.view.namespaceLabels(namespace),
      );
      const score = policyScore(verdict.scores, policy.spec.weights, criticality);
      const name = incidentName(policy.metadata.name ?? '', entity.kind, entity.key);
      const policyKey = `${namespace}/${policy.metadata.name}`;
      const fired = this.rules.observe(
        policyKey,
        policy.spec.alertRules ?? [],
        entity.key,
        verdict,
        score.threat,
      );
      const incident = ctx.informers.incidents.get(namespace, name);
      const exists = incident !== undefined;
      if (!exists && score.threat < policy.spec.incidentThreshold && fired.length === 0) {
        ctx.metrics.verdicts.inc({ result: 'below-threshold' });
        continue;
      }
      ctx.metrics.verdicts.inc({ result: 'matched' });
      const prediction = predictionWithin(verdict, policy.spec.forecastHorizonSeconds);
      const crossed = effectiveSteps(policy)
        .filter((s) => score.threat >= s.threshold)
        .map((s) => s.type);
      // Urgent: anything that can change a decision. A step already in force gains nothing from it.
      const live = new Set((incident?.status?.actions ?? []).filter((a) => isLive(a)).map((a) => a.type));
      const urgent = !exists || fired.length > 0 || crossed.some((t) => !live.has(t));
      writes.push(
        this.writer.submit(
          {
            policy,
            namespace,
            name,
            entity: {
              kind: entity.kind,
              key: entity.key,
              ...(entity.namespace ? { namespace: entity.namespace } : {}),
              ...(entity.workload ? { workload: entity.workload } : {}),
            },
            verdict,
            score,
            ...(criticality ? { criticality } : {}),
            crossed,
            rulesFired: fired,
            ...(prediction ? { prediction } : {}),
          },
          urgent,
        ),
      );
    }
    if (!matched) ctx.metrics.verdicts.inc({ result: 'unmatched' });
    await Promise.all(writes);
  }
}
