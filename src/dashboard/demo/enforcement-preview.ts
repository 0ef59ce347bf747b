/**
 * What Enforce mode would apply for an incident of a Monitor-mode policy, as the exact objects
 * the controller's pure builders produce: the policy's aggregated block NetworkPolicy (every
 * address its incidents block, per direction), the deny-all quarantine NetworkPolicy, and the
 * merge patches of the pods Quarantine and RateLimit would change. Rendered as YAML documents.
 * Addresses are the revealed ones when the viewer may reveal, tokens otherwise.
 */
import yaml from 'js-yaml';
import { isLive } from '../../controller/incidents/ladder.js';
import type { ClusterView, Reveal } from '../../controller/incidents/resolve.js';
import {
  buildBlockPolicies,
  buildQuarantinePolicy,
  type BlockSets,
} from '../../controller/actuators/network-policies.js';
import { quarantinePatch, rateLimitPatch } from '../../controller/actuators/pod-patches.js';
import { policyLabelValue } from '../../controller/actuators/names.js';
import type { EnforcementChoice } from '../../controller/k8s/discovery.js';
import type { Pod } from '../../controller/k8s/pods.js';
import type { ActionStatus, ThreatIncident, ThreatPolicy } from '../../controller/threatpolicy/crd-types.js';

export interface PreviewInput {
  incident: ThreatIncident;
  policy: ThreatPolicy;
  /** Every incident of the policy (blocks are aggregated per policy). */
  policyIncidents: readonly ThreatIncident[];
  view: ClusterView;
  reveal: Reveal;
  enforcement: EnforcementChoice;
  revealAddresses: boolean;
  now: number;
}

const liveOf = (i: ThreatIncident, type: ActionStatus['type']) =>
  (i.status?.actions ?? []).find((a) => a.type === type && isLive(a));

export function enforcementPreview(input: PreviewInput): string | undefined {
  const { incident, policy, view, reveal } = input;
  const enforcing: ThreatPolicy = { ...policy, spec: { ...policy.spec, mode: 'Enforce' } };
  const docs: { comment: string; object: unknown }[] = [];
  const block = liveOf(incident, 'Block');
  if (block) {
    const sets: BlockSets = { Ingress: [], Egress: [] };
    for (const other of input.policyIncidents) {
      const a = liveOf(other, 'Block');
      if (!a?.direction || a.state === 'PendingApproval') continue;
      for (const token of a.addresses ?? []) {
        const ip = reveal(token);
        if (ip === undefined) continue;
        sets[a.direction].push({
          ip: input.revealAddresses ? ip : ip.includes(':') ? '::' : '0.0.0.0',
          inCluster: view.podsByIp(ip).length > 0,
        });
      }
    }
    const objects = buildBlockPolicies(enforcing, sets, input.enforcement);
    for (const o of objects) {
      const text = input.revealAddresses ? o : maskAddresses(o, block.addresses ?? []);
      docs.push({
        comment: `Block (${block.direction}): every address this policy's incidents block, in one object`,
        object: text,
      });
    }
  }
  const quarantine = liveOf(incident, 'Quarantine');
  if (quarantine) {
    docs.push({
      comment: 'Quarantine: deny-all for pods carrying the quarantine label',
      object: buildQuarantinePolicy(enforcing),
    });
    for (const name of quarantine.pods ?? []) {
      const pod = podNamed(view, reveal, incident, name);
      const patch =
        pod &&
        quarantinePatch(pod, key(incident), policyLabelValue(policy.metadata.name ?? ''), [], input.now);
      if (patch)
        docs.push({ comment: `Quarantine: merge patch of pod ${name}`, object: { pod: name, patch } });
    }
  }
  const rate = liveOf(incident, 'RateLimit');
  const bandwidth = policy.spec.actions.find((s) => s.type === 'RateLimit')?.rateLimit;
  if (rate && bandwidth) {
    for (const name of rate.pods ?? []) {
      const pod = podNamed(view, reveal, incident, name);
      const patch = pod && rateLimitPatch(pod, key(incident), bandwidth);
      if (patch)
        docs.push({ comment: `RateLimit: merge patch of pod ${name}`, object: { pod: name, patch } });
    }
  }
  if (docs.length === 0) return undefined;
  const mode =
    policy.spec.mode === 'Monitor'
      ? 'Monitor mode: nothing here is applied. In Enforce mode Foresight would apply:'
      : 'Applied:';
  return [
    `# ${mode}`,
    ...docs.map((d) => `# ${d.comment}\n${yaml.dump(d.object, { lineWidth: 120, noRefs: true }).trimEnd()}`),
  ].join('\n---\n');
}

function key(i: ThreatIncident): string {
  return `${i.metadata.namespace ?? ''}/${i.metadata.name ?? ''}`;
}

function podNamed(
  view: ClusterView,
  reveal: Reveal,
  incident: ThreatIncident,
  name: string,
): Pod | undefined {
  const ns = incident.metadata.namespace ?? '';
  const { workload, namespace } = incident.spec.entity;
  const status = incident.status ?? {};
  const tokens = [...(status.addresses ?? []), ...(status.targets ?? []).map((t) => t.address)];
  const candidates = [
    ...(workload ? view.podsOfWorkload(namespace ?? ns, workload) : []),
    ...tokens.flatMap((t) => {
      const ip = reveal(t);
      return ip === undefined ? [] : view.podsByIp(ip);
    }),
  ];
  return candidates.find((p) => p.metadata?.name === name && p.metadata.namespace === ns);
}

/** Replaces the placeholder addresses with the tokens (viewers who may not reveal). */
function maskAddresses(object: unknown, tokens: readonly string[]): unknown {
  const text = JSON.stringify(object)
    .replaceAll('0.0.0.0/32', `<${tokens.join('|') || 'token'}>/32`)
    .replaceAll('::/128', `<${tokens.join('|') || 'token'}>/128`);
  return JSON.parse(text) as unknown;
}
