import { FileHandle, open } from 'node:fs/promises';
import { endianness } from 'node:os';
import { onnx } from 'onnx-proto';
import { GraphBuilder, LazyWeight } from './graph-builder';
import { float32ToHalfBits } from '@vectorizer/images';
import { SeededRandom, seedFor } from './random';

/** ONNX IR 8 / opset 17: the first opset with LayerNormalization, loadable by every current runtime. */
export const IR_VERSION = 8;
export const OPSET_VERSION = 17;

// Protobuf wire tags (field_number << 3 | wire type 2 = length-delimited).
const MODEL_GRAPH_TAG = (7 << 3) | 2;
const GRAPH_INITIALIZER_TAG = (5 << 3) | 2;
const TENSOR_RAW_DATA_TAG = (9 << 3) | 2;

/**
 * Writes `graph` as an ONNX model file without ever holding all weights in memory.
 *
 * Protobuf lets a message's fields come in any order and repeated fields be split, so the file is:
 * ModelProto fields (no graph) ‖ graph tag+length ‖ GraphProto fields (no learned weights) ‖ one
 * `initializer` entry per weight, each generated, written and dropped in turn. Every length is known
 * up front from the shapes alone, so one pass suffices. Writes are awaited per weight so the event
 * loop keeps turning while a large model is generated. Returns the parameter count.
 */
export async function writeOnnxModel(
  path: string,
  graph: GraphBuilder,
  options: { seed: number; producerVersion: string; docString: string },
): Promise<number> {
  if (endianness() !== 'LE')
    throw new Error('dev-model generation writes little-endian raw tensor data and needs a little-endian host');
  const modelHead = onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    producerName: 'vectorizer-dev-model',
    producerVersion: options.producerVersion,
    docString: options.docString,
  }).finish();
  const graphHead = onnx.GraphProto.encode({
    name: graph.name,
    node: graph.nodes,
    input: graph.inputs,
    output: graph.outputs,
    initializer: graph.constants,
  }).finish();
  const weightHeads = graph.weights.map(weightHeader);
  const weightEntryLengths = weightHeads.map((head, i) =>
    lengthDelimitedSize(head.length + lengthDelimitedSize(byteLength(graph.weights[i]))),
  );
  const graphLength = graphHead.length + weightEntryLengths.reduce((sum, n) => sum + n, 0);

  const file = await open(path, 'w');
  try {
    await writeAll(file, modelHead);
    await writeAll(file, Buffer.concat([Buffer.from([MODEL_GRAPH_TAG]), varint(graphLength)]));
    await writeAll(file, graphHead);
    for (const [i, weight] of graph.weights.entries()) {
      const data = weightValues(weight, options.seed);
      const rawDataField = Buffer.concat([Buffer.from([TENSOR_RAW_DATA_TAG]), varint(data.byteLength)]);
      const tensorLength = weightHeads[i].length + rawDataField.length + data.byteLength;
      await writeAll(
        file,
        Buffer.concat([Buffer.from([GRAPH_INITIALIZER_TAG]), varint(tensorLength), weightHeads[i], rawDataField]),
      );
      await writeAll(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
    await file.sync();
  } finally {
    await file.close();
  }
  return graph.weights.reduce((sum, w) => sum + elementCount(w), 0);
}

/** FileHandle.write may write less than asked; loop until every byte is out. */
async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await file.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

/** The TensorProto fields of a weight except raw_data (appended separately). */
function weightHeader(weight: LazyWeight): Uint8Array {
  return onnx.TensorProto.encode({
    name: weight.name,
    dims: weight.dims,
    dataType: weight.precision === 'fp16' ? onnx.TensorProto.DataType.FLOAT16 : onnx.TensorProto.DataType.FLOAT,
  }).finish();
}

function weightValues(weight: LazyWeight, seed: number): Float32Array | Uint16Array {
  const values = new Float32Array(elementCount(weight));
  if (weight.init.kind === 'constant') values.fill(weight.init.value);
  else new SeededRandom(seedFor(seed, weight.name)).fillNormal(values, weight.init.std);
  return weight.precision === 'fp16' ? float32ToHalfBits(values) : values;
}

function elementCount(weight: LazyWeight): number {
  return weight.dims.reduce((product, d) => product * d, 1);
}

function byteLength(weight: LazyWeight): number {
  return elementCount(weight) * (weight.precision === 'fp16' ? 2 : 4);
}

/** Size of a length-delimited field (1-byte tag + varint length + payload) whose payload is `payloadLength`. */
function lengthDelimitedSize(payloadLength: number): number {
  return 1 + varint(payloadLength).length + payloadLength;
}

/** Protobuf base-128 varint; arithmetic rather than bit ops so lengths above 2^31 stay exact. */
function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
