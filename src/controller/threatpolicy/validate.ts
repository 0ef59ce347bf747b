/**
 * Checks on a ThreatPolicy that the CRD schema cannot express on Kubernetes 1.20 (no CEL):
 * they do not reject the policy (the API server already accepted it) but surface in its
 * Degraded condition, field by field. Pure.
 */
import { CidrSet } from '../../util/cidr.js';
import type { ThreatPolicySpec } from './crd-types.js';

export function validatePolicy(spec: ThreatPolicySpec): string[] {
  const problems: string[] = [];
  (spec.allowlist.cidrs ?? []).forEach((cidr, i) => {
    try {
      new CidrSet([cidr]);
    } catch {
      problems.push(`spec.allowlist.cidrs[${i}]: "${cidr}" is not a valid CIDR (ignored)`);
    }
  });
  const w = spec.weights;
  if (w.anomaly + w.impact + w.confidence <= 0)
    problems.push('spec.weights: at least one weight must be above 0');
  spec.actions.forEach((step, i) => {
    if (step.rateLimit && step.type !== 'RateLimit') {
      problems.push(`spec.actions[${i}].rateLimit: only a RateLimit step uses bandwidth (ignored)`);
    }
    if (step.threshold < spec.incidentThreshold) {
      problems.push(
        `spec.actions[${i}].threshold: ${step.threshold} is below incidentThreshold ${spec.incidentThreshold}; ` +
          'the step fires as soon as an incident opens',
      );
    }
  });
  if (spec.caps.maxQuarantinedPods === 0 && spec.actions.some((s) => s.type === 'Quarantine')) {
    problems.push('spec.caps.maxQuarantinedPods: 0 with a Quarantine step: quarantine is always refused');
  }
  (spec.notifications ?? []).forEach((n, i) => {
    const kinds = [n.webhook, n.alertmanager, n.nats].filter(Boolean).length;
    if (kinds !== 1) problems.push(`spec.notifications[${i}]: exactly one of webhook, alertmanager, nats`);
  });
  return problems;
}
