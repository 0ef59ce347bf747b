/** What the live stream polls (see live.ts), read through the same stores and backends as the API. */
import type { LiveSource } from './live.js';
import type { RouteContext } from './context.js';
import { summarize } from './views.js';

export function liveSource(ctx: Omit<RouteContext, 'live'>): LiveSource {
  const step = ctx.windowMs;
  return {
    async tick() {
      const now = ctx.now();
      const last = Math.floor(now / step) * step - step;
      const [traffic, scores, incidents] = await Promise.all([
        ctx.rollups.clusterTraffic(last, last + step, now),
        ctx.rollups.scoreSteps(last, last + step, now),
        ctx.incidents.list({ limit: 500 }),
      ]);
      const counts: Record<string, number> = {};
      for (const i of incidents) {
        const phase = i.status?.phase ?? 'Open';
        counts[phase] = (counts[phase] ?? 0) + 1;
      }
      const flows = traffic.flows[0] ?? 0;
      return {
        now,
        flowsPerSecond: flows / (step / 1000),
        traffic: { t: last, flows },
        score: { t: last, threat: scores.threat[0] ?? null, anomaly: scores.anomaly[0] ?? null },
        incidents: counts,
      };
    },
    async incidentFingerprints() {
      const list = await ctx.incidents.list({ limit: 500 });
      return new Map(
        list.map((i) => {
          const s = summarize(i);
          return [
            s.key,
            JSON.stringify([s.phase, s.action, s.threat, s.latest, s.verdictCount, s.verdict, s.actions]),
          ];
        }),
      );
    },
    async firings() {
      const list = await ctx.rules.recentFirings(20);
      return list.map((f) => ({ key: `${f.rule}|${f.entity}|${f.firedAt}`, event: f }));
    },
    modelVersions: () => ctx.registry.activeVersions(),
  };
}
