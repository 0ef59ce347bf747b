/**
 * Registry names of the models. Source and destination windows describe different things (a
 * destination's peers are its clients), so each entity kind has its own anomaly set, registered
 * as `<kind>/<detector>` (`source/isolation-forest` …); forecaster bundles are `forecast-additive`
 * and `forecast-lstm` (docs/adr/0011).
 */
import type { AnomalyDetectorName } from '../models/types.js';
import type { EntityKind } from '../store/types.js';

export function anomalyModelName(kind: EntityKind, detector: AnomalyDetectorName | 'all'): string {
  return `${kind}/${detector}`;
}

/** The kind and detector of an anomaly model's registry name, or undefined for other models. */
export function parseAnomalyModelName(
  name: string,
): { kind: EntityKind; detector: AnomalyDetectorName } | undefined {
  const m = /^(source|destination)\/(isolation-forest|ocsvm|kmeans|dbscan)$/.exec(name);
  return m ? { kind: m[1] as EntityKind, detector: m[2] as AnomalyDetectorName } : undefined;
}

/** Registry name of a kind's per-entity anomaly baselines. */
export function entityBaselineName(kind: EntityKind): string {
  return `${kind}/entity-baseline`;
}
