import { onnx } from 'onnx-proto';

/** How a learned tensor is initialised; the values are only drawn when the model file is written. */
export type WeightInit = { kind: 'normal'; std: number } | { kind: 'constant'; value: number };

/** A parameter whose values are generated lazily while streaming the file (see onnx-file-writer). */
export interface LazyWeight {
  name: string;
  dims: number[];
  init: WeightInit;
  /** Drawn as float32; stored as float16 (rounded) in the fp16 variant. */
  precision: 'fp32' | 'fp16';
}

export type Attribute = { int: number } | { ints: number[] } | { float: number };

/** A graph input/output dimension: a fixed size or a named dynamic one (e.g. "batch_size"). */
export type Dimension = number | string;

/**
 * Collects the nodes, inputs/outputs and initializers of one ONNX graph. Learned weights stay lazy
 * (name, shape, init rule) so a 350 MB model never has to sit in memory at once; small constants
 * (shapes, scalars) are materialised right away.
 */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly inputs: onnx.IValueInfoProto[] = [];
  readonly outputs: onnx.IValueInfoProto[] = [];
  readonly constants: onnx.ITensorProto[] = [];
  readonly weights: LazyWeight[] = [];
  private readonly usedNames = new Set<string>();

  constructor(readonly name: string) {}

  input(name: string, elemType: onnx.TensorProto.DataType, shape: Dimension[]): string {
    this.inputs.push(valueInfo(this.claim(name), elemType, shape));
    return name;
  }

  /** Declares `value` (an existing node output) as a graph output called `name`. */
  output(value: string, name: string, elemType: onnx.TensorProto.DataType, shape: Dimension[]): string {
    this.node('Identity', [value], { output: name });
    this.outputs.push(valueInfo(name, elemType, shape));
    return name;
  }

  weight(name: string, dims: number[], init: WeightInit): string {
    this.weights.push({ name: this.claim(name), dims, init, precision: 'fp32' });
    return name;
  }

  constFloat(name: string, values: number[], dims: number[] = []): string {
    const data = Buffer.from(new Float32Array(values).buffer);
    this.constants.push({ name: this.claim(name), dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: data });
    return name;
  }

  constInt64(name: string, values: number[], dims: number[] = [values.length]): string {
    const data = Buffer.from(new BigInt64Array(values.map(BigInt)).buffer);
    this.constants.push({ name: this.claim(name), dims, dataType: onnx.TensorProto.DataType.INT64, rawData: data });
    return name;
  }

  /** Adds one single-output node and returns its output name (`output`, else derived from the op). */
  node(
    opType: string,
    inputs: string[],
    options: { output?: string; attributes?: Record<string, Attribute> } = {},
  ): string {
    const output = this.claim(options.output ?? `${opType}_${this.nodes.length}`);
    this.nodes.push({
      name: `${output}/${opType}`,
      opType,
      input: inputs,
      output: [output],
      attribute: Object.entries(options.attributes ?? {}).map(([name, value]) => attribute(name, value)),
    });
    return output;
  }

  private claim(name: string): string {
    if (this.usedNames.has(name))
      throw new Error(`dev-model graph "${this.name}": value name "${name}" is defined twice`);
    this.usedNames.add(name);
    return name;
  }
}

function valueInfo(name: string, elemType: onnx.TensorProto.DataType, shape: Dimension[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: Attribute): onnx.IAttributeProto {
  if ('int' in value) return { name, type: onnx.AttributeProto.AttributeType.INT, i: value.int };
  if ('ints' in value) return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: value.ints };
  return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value.float };
}
