/**
 * The tfjs runtime for training, on the WebAssembly backend (about 6× faster than pure JS;
 * tfjs-node does not install offline). The .wasm binaries ship inside
 * @tensorflow/tfjs-backend-wasm's dist folder and are loaded from there, never fetched. tfjs is
 * imported lazily so that scoring, which runs ONNX only, never loads it. Initialised once per
 * process; tfjs backends are process-global.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { ForesightError } from '../../../errors.js';

export type Tf = typeof tfjs;

let ready: Promise<Tf> | undefined;

/** The directory holding the backend's .wasm files, with a trailing separator (setWasmPaths wants a prefix). */
export function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  return (
    path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep
  );
}

async function init(): Promise<Tf> {
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(wasmDistDir());
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } catch (err) {
    throw new ForesightError('tfjs-wasm-unavailable', 'tfjs wasm backend failed to initialise', {
      cause: err,
    });
  }
  if (!ok) throw new ForesightError('tfjs-wasm-unavailable', 'tfjs wasm backend failed to initialise');
  await tf.ready();
  return tf;
}

export function tfjsWasm(): Promise<Tf> {
  ready ??= init().catch((err: unknown) => {
    ready = undefined;
    throw err;
  });
  return ready;
}
