/**
 * The active model set as the scoring service loads it from the registry: the anomaly detectors
 * (ONNX bytes + parameters for the OnnxScorer), the forecaster bundles, the version of each, and
 * each model's validation quality (which feeds the confidence part of the threat score).
 * Versions trained on another feature schema are skipped with a warning: they cannot read the
 * rows this build writes.
 */
import type { Logger } from '../../observability/logger.js';
import { FEATURE_SCHEMA } from '../features/schema.js';
import type { AnomalyModelParams } from '../models/anomaly-models.js';
import type { EntityKind } from '../store/types.js';
import type { EntityBaselineParams } from '../training/entity-baseline.js';
import { entityBaselineName, parseAnomalyModelName } from '../training/model-names.js';
import type { ModelRegistry, ModelVersion } from '../store/model-registry.js';
import type { ForecastBundleParams } from '../training/forecast-training.js';
import type { LoadedBundle } from './forecast-scoring.js';
import type { ScorerModel } from './onnx-scorer.js';

export interface ActiveSet {
  /** Registry name → version of every model loaded. */
  versions: Record<string, number>;
  /** Each entity kind's anomaly set (`<kind>/<detector>` in the registry). */
  anomaly: Record<EntityKind, ScorerModel[]>;
  bundles: LoadedBundle[];
  /** Each kind's per-entity anomaly baselines. */
  baselines: Record<EntityKind, Map<string, number>>;
  /** Model name → validation quality in [0,1]. */
  quality: Record<string, number>;
}

function qualityOf(v: ModelVersion): number | undefined {
  const q = v.metrics.quality;
  return typeof q === 'number' && Number.isFinite(q) ? q : undefined;
}

export async function loadActiveSet(registry: ModelRegistry, logger: Logger): Promise<ActiveSet> {
  const set = emptyActiveSet();
  for (const v of await registry.loadActive()) {
    if (v.featureSchemaVersion !== FEATURE_SCHEMA.version) {
      logger.warn(
        `active model ${v.name} v${v.version} is for feature schema v${v.featureSchemaVersion}, ` +
          `this build writes v${FEATURE_SCHEMA.version}: not loaded`,
      );
      continue;
    }
    const anomaly = parseAnomalyModelName(v.name);
    if (anomaly) {
      if (!v.onnx) {
        logger.warn(`active model ${v.name} v${v.version} has no ONNX bytes: not loaded`);
        continue;
      }
      set.anomaly[anomaly.kind].push({
        version: v.version,
        params: v.params as AnomalyModelParams,
        onnx: v.onnx,
      });
    } else if (v.name === entityBaselineName('source') || v.name === entityBaselineName('destination')) {
      const params = v.params as EntityBaselineParams;
      const kind = v.name.startsWith('source') ? 'source' : 'destination';
      set.baselines[kind] = new Map(Object.entries(params.entities ?? {}));
    } else if (v.name === 'forecast-additive' || v.name === 'forecast-lstm') {
      const params = v.params as ForecastBundleParams;
      if (params.kind !== 'forecast-bundle') continue;
      set.bundles.push({ name: v.name, version: v.version, params });
    } else {
      continue;
    }
    set.versions[v.name] = v.version;
    const q = qualityOf(v);
    if (q !== undefined) set.quality[v.name] = q;
  }
  return set;
}

export function emptyActiveSet(): ActiveSet {
  return {
    versions: {},
    anomaly: { source: [], destination: [] },
    baselines: { source: new Map(), destination: new Map() },
    bundles: [],
    quality: {},
  };
}

/** Same names and versions. */
export function sameVersions(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
