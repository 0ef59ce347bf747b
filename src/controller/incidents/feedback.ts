/**
 * Analyst feedback: the verdict an analyst sets in an incident's spec goes to the store's
 * `feedback` table (for retraining) once; the incident's status then says it was recorded.
 */
import { errorMessage } from '../../errors.js';
import { isoTime } from '../k8s/conditions.js';
import type { IncidentFeedback, ThreatIncident } from '../threatpolicy/crd-types.js';
import type { AuditSink } from './audit-sink.js';

export const ANNOTATION_ANALYST = 'foresight.dev/analyst';

export async function forwardFeedback(
  audit: AuditSink,
  key: string,
  incident: ThreatIncident,
  now: number,
  problems: string[],
): Promise<IncidentFeedback | undefined> {
  const verdict = incident.spec.verdict;
  const recorded = incident.status?.feedback;
  if (!verdict || recorded?.verdict === verdict) return recorded;
  const window = incident.status?.window;
  const analyst = incident.metadata.annotations?.[ANNOTATION_ANALYST];
  try {
    await audit.recordFeedback({
      incident: key,
      kind: incident.spec.entity.kind,
      entity: incident.spec.entity.key,
      ...(window?.start ? { windowStart: Date.parse(window.start) } : {}),
      ...(window?.end ? { windowEnd: Date.parse(window.end) } : {}),
      verdict,
      ...(analyst ? { analyst } : {}),
      ...(incident.spec.note ? { note: incident.spec.note } : {}),
    });
    return { verdict, recordedAt: isoTime(now) };
  } catch (err) {
    problems.push(`feedback not stored: ${errorMessage(err)}`);
    return recorded;
  }
}
