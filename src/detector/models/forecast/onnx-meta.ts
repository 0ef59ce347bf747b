/**
 * Graph pieces every forecaster export shares: its metadata (so a model file says what it is and
 * what it expects) and the map from model scale back to raw units.
 */
import type { GraphBuilder } from '../onnx/builder.js';
import type { ModelMeta } from '../types.js';
import { MAX_LOG1P, type ValueScale } from './stats.js';

export function forecastMetadata(meta: ModelMeta, extra: Record<string, string>): Record<string, string> {
  const props: Record<string, string> = {
    name: meta.name,
    version: String(meta.version),
    feature_schema_version: String(meta.featureSchemaVersion),
    ...extra,
  };
  if (meta.trainedFrom !== undefined) props.trained_from = String(meta.trainedFrom);
  if (meta.trainedTo !== undefined) props.trained_to = String(meta.trainedTo);
  return props;
}

/** max(0, expm1(min(v, MAX_LOG1P))) for log1p, max(0, v) for linear: fromModelScale in the graph. */
export function rawUnits(g: GraphBuilder, scale: ValueScale, v: string): string {
  if (scale === 'linear') return g.op('Relu', [v]);
  const capped = g.op('Min', [v, g.constant(new Float32Array([MAX_LOG1P]), [1])]);
  return g.op('Relu', [g.op('Sub', [g.op('Exp', [capped]), g.constant(new Float32Array([1]), [1])])]);
}
