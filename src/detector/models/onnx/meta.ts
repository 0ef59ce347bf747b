/**
 * The metadata every exported model carries (name, registry version, feature-schema version,
 * training span), as ONNX `metadata_props`, so a model file found on its own says what it is.
 */
import type { ModelMeta } from '../types.js';

export function modelMetadata(meta: ModelMeta, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {
    'foresight.model': meta.name,
    'foresight.version': String(meta.version),
    'foresight.feature_schema_version': String(meta.featureSchemaVersion),
    ...extra,
  };
  if (meta.trainedFrom !== undefined)
    out['foresight.trained_from'] = new Date(meta.trainedFrom).toISOString();
  if (meta.trainedTo !== undefined) out['foresight.trained_to'] = new Date(meta.trainedTo).toISOString();
  return out;
}
