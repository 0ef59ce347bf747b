/**
 * A small ONNX graph builder on `onnx-proto`, shared by every exporter: inputs, initializers,
 * nodes with typed attributes, outputs, and serialisation to model bytes. It knows nothing about
 * any model; exporters say what to compute. Limits of the runtime we target are in
 * ONNX-NOTES (opset ≤ 26, ai.onnx.ml ≤ 5, IR ≤ 13; one ai.onnx.ml version per model).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type DataType = onnxProto.onnx.TensorProto.DataType;
const DT = onnx.TensorProto.DataType;

export type ElemType = 'float' | 'double' | 'int64' | 'uint8';
/** A dimension: a fixed size, or a named symbolic one (batch). */
export type Dim = number | string;

const ELEM: Record<ElemType, DataType> = {
  float: DT.FLOAT,
  double: DT.DOUBLE,
  int64: DT.INT64,
  uint8: DT.UINT8,
};

export type TensorData = Float32Array | Float64Array | BigInt64Array | Uint8Array;

function elemOf(data: TensorData): ElemType {
  if (data instanceof Float32Array) return 'float';
  if (data instanceof Float64Array) return 'double';
  if (data instanceof BigInt64Array) return 'int64';
  return 'uint8';
}

/** A tensor with little-endian raw data (the form every runtime reads fastest). */
export function tensor(name: string, data: TensorData, dims: readonly number[]): onnxProto.onnx.ITensorProto {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== data.length)
    throw new RangeError(`tensor ${name}: ${data.length} values for dims [${dims.join(',')}]`);
  // Typed arrays are little-endian on every platform Node runs on here; copy to detach the buffer.
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return { name, dataType: ELEM[elemOf(data)], dims: [...dims], rawData: raw };
}

export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string }
  | { kind: 'strings'; value: readonly string[] }
  | { kind: 'tensor'; value: onnxProto.onnx.ITensorProto };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  ints: (value: readonly number[]): Attr => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): Attr => ({ kind: 'floats', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  strings: (value: readonly string[]): Attr => ({ kind: 'strings', value }),
  tensor: (value: onnxProto.onnx.ITensorProto): Attr => ({ kind: 'tensor', value }),
};

const AT = onnx.AttributeProto.AttributeType;
const utf8 = new TextEncoder();

function encodeAttr(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  switch (a.kind) {
    case 'int':
      return { name, type: AT.INT, i: a.value };
    case 'float':
      return { name, type: AT.FLOAT, f: a.value };
    case 'ints':
      return { name, type: AT.INTS, ints: [...a.value] };
    case 'floats':
      return { name, type: AT.FLOATS, floats: [...a.value] };
    case 'string':
      return { name, type: AT.STRING, s: utf8.encode(a.value) };
    case 'strings':
      return { name, type: AT.STRINGS, strings: a.value.map((s) => utf8.encode(s)) };
    case 'tensor':
      return { name, type: AT.TENSOR, t: a.value };
  }
}

function valueInfo(name: string, elem: ElemType, shape: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[elem],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export const ML_DOMAIN = 'ai.onnx.ml';

export interface ModelOptions {
  /** ai.onnx opset (default 18). */
  opset?: number;
  /** ai.onnx.ml opset, when the graph uses that domain. */
  mlOpset?: number;
  /** Free-form key/values stored in the model (version, feature schema, training span …). */
  metadata?: Record<string, string>;
  docString?: string;
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;
  private usesMl = false;

  constructor(private readonly name: string) {}

  input(name: string, elem: ElemType, shape: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, elem, shape));
    return name;
  }

  /** An initializer (a constant tensor); returns its name for use as a node input. */
  constant(data: TensorData, dims: readonly number[], name = this.fresh('const')): string {
    this.initializers.push(tensor(name, data, dims));
    return name;
  }

  /** Adds a node; returns its output names (one unless `outputs` says more). */
  node(
    op: string,
    inputs: readonly string[],
    attrs: Record<string, Attr> = {},
    options: { domain?: string; outputs?: number | readonly string[]; name?: string } = {},
  ): string[] {
    const outs =
      typeof options.outputs === 'object'
        ? [...options.outputs]
        : Array.from({ length: options.outputs ?? 1 }, () => this.fresh(op.toLowerCase()));
    if (options.domain === ML_DOMAIN) this.usesMl = true;
    this.nodes.push({
      opType: op,
      domain: options.domain ?? '',
      name: options.name ?? this.fresh(`${op}_node`),
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => encodeAttr(k, v)),
    });
    return outs;
  }

  /** Shorthand for single-output nodes. */
  op(op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, domain?: string): string {
    return this.node(op, inputs, attrs, domain ? { domain } : {})[0]!;
  }

  /** Declares a graph output, renaming the value with an Identity node if needed. */
  output(value: string, elem: ElemType, shape: readonly Dim[], name = value): string {
    if (name !== value) this.node('Identity', [value], {}, { outputs: [name] });
    this.outputs.push(valueInfo(name, elem, shape));
    return name;
  }

  toBytes(options: ModelOptions = {}): Uint8Array {
    const opsetImport: onnxProto.onnx.IOperatorSetIdProto[] = [{ domain: '', version: options.opset ?? 18 }];
    if (this.usesMl) opsetImport.push({ domain: ML_DOMAIN, version: options.mlOpset ?? 3 });
    const model: onnxProto.onnx.IModelProto = {
      irVersion: 8,
      producerName: 'foresight',
      opsetImport,
      docString: options.docString ?? '',
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }
}
