import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { onnx } from 'onnx-proto';

/**
 * Rewrites an ONNX file so its larger weights live in `<file>_data` (the layout of exports over
 * 2 GB), to test that the runtime finds them next to the graph.
 */
export async function externalizeWeights(onnxPath: string): Promise<string> {
  const model = onnx.ModelProto.decode(await readFile(onnxPath));
  const dataPath = `${onnxPath}_data`;
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const tensor of model.graph?.initializer ?? []) {
    const raw = tensor.rawData;
    if (!raw || raw.length < 1024) continue;
    chunks.push(Buffer.from(raw));
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    tensor.externalData = [
      { key: 'location', value: basename(dataPath) },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.length) },
    ];
    tensor.rawData = new Uint8Array(0);
    offset += raw.length;
  }
  await writeFile(dataPath, Buffer.concat(chunks));
  await writeFile(onnxPath, onnx.ModelProto.encode(model).finish());
  return dataPath;
}
