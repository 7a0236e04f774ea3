import { onnx } from 'onnx-proto';
import { float32ToHalfBits } from '@vectorizer/images';
import { GraphBuilder } from './graph-builder';

const { FLOAT, FLOAT16 } = onnx.TensorProto.DataType;

/**
 * Turns a float32 graph into the fp16 variant transformers.js publishes (`onnx/*_fp16.onnx`, made by
 * onnxconverter-common's convert_float_to_float16 with keep_io_types=True): every weight and float
 * constant is float16, while the graph's float inputs and outputs stay float32 behind Cast nodes, so
 * callers feed and read the same tensors as with fp32. With `io: 'float16'` the inputs and outputs
 * are float16 themselves, as Optimum's `--dtype fp16` exports have them. Weights are the fp32
 * model's values rounded, so the same seed gives the same model at both precisions. Mutates and
 * returns `graph`.
 */
export function toHalfPrecision(graph: GraphBuilder, io: 'float32' | 'float16' = 'float32'): GraphBuilder {
  for (const weight of graph.weights) weight.precision = 'fp16';
  for (const constant of graph.constants) {
    if (constant.dataType !== FLOAT) continue;
    const raw = constant.rawData as Uint8Array;
    const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    constant.dataType = FLOAT16;
    constant.rawData = Buffer.from(float32ToHalfBits(values).buffer);
  }
  if (io === 'float16') {
    for (const value of [...graph.inputs, ...graph.outputs]) {
      const tensorType = value.type?.tensorType;
      if (tensorType?.elemType === FLOAT) tensorType.elemType = FLOAT16;
    }
    return graph;
  }
  const renamed = new Map<string, string>();
  const casts: onnx.INodeProto[] = [];
  for (const input of graph.inputs) {
    if (input.type?.tensorType?.elemType !== FLOAT) continue;
    const half = `${input.name}/float16`;
    renamed.set(input.name as string, half);
    casts.push(castNode(input.name as string, half, FLOAT16));
  }
  const outputNames = new Set(graph.outputs.map((output) => output.name));
  for (const node of graph.nodes) {
    node.input = (node.input ?? []).map((name) => renamed.get(name) ?? name);
    // GraphBuilder.output declares each output through an Identity node: make it the cast back.
    if (node.opType === 'Identity' && outputNames.has(node.output?.[0])) {
      node.opType = 'Cast';
      node.name = `${node.output?.[0]}/Cast`;
      node.attribute = [castTo(FLOAT)];
    }
  }
  graph.nodes.unshift(...casts);
  return graph;
}

function castNode(input: string, output: string, to: onnx.TensorProto.DataType): onnx.INodeProto {
  return { name: `${output}/Cast`, opType: 'Cast', input: [input], output: [output], attribute: [castTo(to)] };
}

function castTo(to: onnx.TensorProto.DataType): onnx.IAttributeProto {
  return { name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: to };
}
