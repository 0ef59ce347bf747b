/**
 * Training one entity kind's anomaly set: the four detectors are trained on the kind's rows,
 * each candidate is validated on the time-ordered holdout (and feedback windows) next to the
 * active version of the same name, promoted or rejected with its metrics, and the kind's
 * per-entity baselines are computed under the set that is active afterwards (docs/adr/0011).
 */
import { FEATURE_COUNT, FEATURE_SCHEMA } from '../features/schema.js';
import {
  ANOMALY_DETECTORS,
  exportAnomalyModel,
  trainAnomalyModels,
  type AnomalyModelParams,
} from '../models/anomaly-models.js';
import { matrixFromRows } from '../models/matrix.js';
import { anomalyAlertBar } from '../scoring/threat.js';
import type { EntityKind } from '../store/types.js';
import { computeEntityBaselines } from './entity-baseline.js';
import { anomalyModelName, entityBaselineName } from './model-names.js';
import type { ModelOutcome, TrainerDeps } from './trainer.js';
import type { TrainingSet } from './training-set.js';
import {
  decidePromotion,
  validateDetector,
  validateEnsemble,
  validationData,
  type Decision,
} from './validation.js';

/** One kind's four detectors: train, validate against the active versions, register. */
export async function trainAnomalySet(
  deps: Pick<TrainerDeps, 'registry' | 'config'>,
  kind: EntityKind,
  set: TrainingSet,
  note: string | undefined,
  step: (done: number) => void,
): Promise<ModelOutcome[]> {
  const { registry, config } = deps;
  const x = matrixFromRows(
    set.train.map((r) => r.vector),
    FEATURE_COUNT,
  );
  const trainedFrom = set.span.from;
  const trainedTo = set.cut;
  const trained = await trainAnomalyModels(x, {
    seed: config.training.seed,
    meta: { trainedFrom, trainedTo },
    onProgress: (done) => step(done),
  });
  const data = validationData(set, FEATURE_COUNT);
  const names = ANOMALY_DETECTORS.map((d) => anomalyModelName(kind, d));
  const active = new Map((await registry.loadActive(names)).map((v) => [v.name, v] as const));
  const decisions: {
    name: string;
    params: AnomalyModelParams;
    decision: Decision;
    quality: number;
    activeQuality?: number;
    metrics: Record<string, unknown>;
  }[] = [];
  const finalSet: AnomalyModelParams[] = [];
  for (const [i, model] of trained.models.entries()) {
    const name = anomalyModelName(kind, model.name);
    const candidate = validateDetector(model.params, data);
    const current = active.get(name);
    const currentParams = current?.params as AnomalyModelParams | undefined;
    const usable = currentParams?.featureSchemaVersion === FEATURE_SCHEMA.version ? currentParams : undefined;
    const activeValidation = usable ? validateDetector(usable, data) : undefined;
    const decision = decidePromotion(candidate.quality, activeValidation?.quality, config.training.promotion);
    decisions.push({
      name,
      params: model.params,
      decision,
      quality: candidate.quality,
      ...(activeValidation ? { activeQuality: activeValidation.quality } : {}),
      metrics: {
        quality: candidate.quality,
        kind,
        validation: candidate,
        ...(activeValidation ? { active: { version: current!.version, ...activeValidation } } : {}),
        training: { ...model.metrics, rows: trained.rows },
      },
    });
    finalSet.push(decision.promote || !usable ? model.params : usable);
    step(ANOMALY_DETECTORS.length + i + 1);
  }
  const ensemble = validateEnsemble(finalSet, data, anomalyAlertBar(config.scoring));
  const outcomes: ModelOutcome[] = [];
  outcomes.push(await registerBaselines(deps, kind, finalSet, set, note));
  for (const d of decisions) {
    const version = await registry.saveCandidate({
      name: d.name,
      params: d.params,
      onnx: (v) => exportAnomalyModel(d.params, { version: v, trainedFrom, trainedTo }),
      featureSchemaVersion: FEATURE_SCHEMA.version,
      trainedFrom,
      trainedTo,
      trainingRows: set.train.length,
      metrics: { ...d.metrics, ensemble },
      ...(note ? { note } : {}),
    });
    const current = active.get(d.name);
    if (d.decision.promote) await registry.promote(d.name, version, note);
    else await registry.reject(d.name, version, [note, d.decision.reason].filter((s) => s).join('; '));
    outcomes.push({
      name: d.name,
      version,
      decision: d.decision.promote ? 'promoted' : 'rejected',
      quality: d.quality,
      ...(current ? { activeVersion: current.version } : {}),
      ...(d.activeQuality === undefined ? {} : { activeQuality: d.activeQuality }),
      reason: d.decision.reason,
    });
  }
  return outcomes;
}

/** The kind's per-entity baselines under the set now active (always promoted: they describe it). */
async function registerBaselines(
  deps: Pick<TrainerDeps, 'registry' | 'config'>,
  kind: EntityKind,
  models: readonly AnomalyModelParams[],
  set: TrainingSet,
  note: string | undefined,
): Promise<ModelOutcome> {
  const { registry, config } = deps;
  const rows = [...set.train, ...set.holdout];
  const params = computeEntityBaselines(models, rows, config.training.entityBaseline);
  const name = entityBaselineName(kind);
  const entities = Object.keys(params.entities).length;
  const version = await registry.saveCandidate({
    name,
    params,
    featureSchemaVersion: FEATURE_SCHEMA.version,
    trainedFrom: set.span.from,
    trainedTo: set.span.to,
    trainingRows: rows.length,
    metrics: { entities },
    ...(note ? { note } : {}),
  });
  await registry.promote(name, version, note);
  return { name, version, decision: 'promoted', reason: `baselines for ${entities} entities` };
}
