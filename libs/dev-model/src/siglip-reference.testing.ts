import { readFileSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import { EncoderDims } from './transformer-layers';
import { TextDims } from './text-tower';
import { VisionDims, numPatches } from './vision-tower';

/**
 * Test-only: SigLIP's forward pass written out in plain loops (one sequence at a time), straight
 * from the Hugging Face modeling code, reading the weights back out of a generated .onnx file. The
 * specs compare it with onnxruntime's output to prove the graph wiring (head split, transposes,
 * conv flattening, pooling) computes SigLIP, not merely something of the right shape.
 */
export type Weights = Map<string, Float32Array>;

export function readWeights(modelPath: string): Weights {
  const model = onnx.ModelProto.decode(readFileSync(modelPath));
  const weights: Weights = new Map();
  for (const tensor of model.graph?.initializer ?? []) {
    if (tensor.dataType !== onnx.TensorProto.DataType.FLOAT || !tensor.name || !tensor.rawData) continue;
    // Copy: the decoded bytes may sit at an offset that Float32Array cannot view.
    weights.set(tensor.name, new Float32Array(new Uint8Array(tensor.rawData).buffer));
  }
  return weights;
}

function get(weights: Weights, name: string): Float32Array {
  const value = weights.get(name);
  if (!value) throw new Error(`reference: weight ${name} missing from the model`);
  return value;
}

/** x [n, inF] · W [inF, outF] + b. */
function linear(w: Weights, x: Float32Array, n: number, inF: number, outF: number, prefix: string): Float32Array {
  const weight = get(w, `${prefix}.weight`);
  const bias = get(w, `${prefix}.bias`);
  const out = new Float32Array(n * outF);
  for (let r = 0; r < n; r++)
    for (let o = 0; o < outF; o++) {
      let sum = bias[o];
      for (let i = 0; i < inF; i++) sum += x[r * inF + i] * weight[i * outF + o];
      out[r * outF + o] = sum;
    }
  return out;
}

function layerNorm(w: Weights, x: Float32Array, n: number, c: number, eps: number, prefix: string): Float32Array {
  const scale = get(w, `${prefix}.weight`);
  const bias = get(w, `${prefix}.bias`);
  const out = new Float32Array(n * c);
  for (let r = 0; r < n; r++) {
    const row = x.subarray(r * c, (r + 1) * c);
    const mean = row.reduce((s, v) => s + v, 0) / c;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / c;
    for (let i = 0; i < c; i++) out[r * c + i] = ((row[i] - mean) / Math.sqrt(variance + eps)) * scale[i] + bias[i];
  }
  return out;
}

function add(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((v, i) => v + b[i]);
}

function mlp(w: Weights, x: Float32Array, n: number, dims: EncoderDims, prefix: string): Float32Array {
  const hidden = linear(w, x, n, dims.hiddenSize, dims.intermediateSize, `${prefix}.fc1`).map(
    (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
  );
  return linear(w, hidden, n, dims.intermediateSize, dims.hiddenSize, `${prefix}.fc2`);
}

/** Multi-head attention as torch computes it: heads are contiguous slices of the projected channels. */
function attention(
  w: Weights,
  query: Float32Array,
  nq: number,
  keyValue: Float32Array,
  nk: number,
  dims: EncoderDims,
  names: [string, string, string, string],
): Float32Array {
  const c = dims.hiddenSize;
  const headDim = c / dims.numHeads;
  const q = linear(w, query, nq, c, c, names[0]);
  const k = linear(w, keyValue, nk, c, c, names[1]);
  const v = linear(w, keyValue, nk, c, c, names[2]);
  const context = new Float32Array(nq * c);
  for (let h = 0; h < dims.numHeads; h++)
    for (let i = 0; i < nq; i++) {
      const scores = Array.from({ length: nk }, (_, j) => {
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += q[i * c + h * headDim + d] * k[j * c + h * headDim + d];
        return dot / Math.sqrt(headDim);
      });
      const max = Math.max(...scores);
      const exp = scores.map((s) => Math.exp(s - max));
      const total = exp.reduce((s, e) => s + e, 0);
      for (let d = 0; d < headDim; d++)
        context[i * c + h * headDim + d] = exp.reduce((s, e, j) => s + (e / total) * v[j * c + h * headDim + d], 0);
    }
  return linear(w, context, nq, c, c, names[3]);
}

function encoder(w: Weights, x: Float32Array, n: number, dims: EncoderDims, prefix: string): Float32Array {
  let hidden = x;
  for (let l = 0; l < dims.numLayers; l++) {
    const p = `${prefix}.layers.${l}`;
    const normed = layerNorm(w, hidden, n, dims.hiddenSize, dims.layerNormEps, `${p}.layer_norm1`);
    const a = `${p}.self_attn`;
    hidden = add(
      hidden,
      attention(w, normed, n, normed, n, dims, [`${a}.q_proj`, `${a}.k_proj`, `${a}.v_proj`, `${a}.out_proj`]),
    );
    hidden = add(
      hidden,
      mlp(w, layerNorm(w, hidden, n, dims.hiddenSize, dims.layerNormEps, `${p}.layer_norm2`), n, dims, `${p}.mlp`),
    );
  }
  return hidden;
}

/** One CHW image → { lastHidden [N·C], pooled [C] }. */
export function referenceVision(
  w: Weights,
  dims: VisionDims,
  pixels: Float32Array,
): { lastHidden: Float32Array; pooled: Float32Array } {
  const { hiddenSize: c, patchSize: p, imageSize: side, numChannels } = dims;
  const grid = side / p;
  const n = numPatches(dims);
  const kernel = get(w, 'vision_model.embeddings.patch_embedding.weight');
  const kernelBias = get(w, 'vision_model.embeddings.patch_embedding.bias');
  const positions = get(w, 'vision_model.embeddings.position_embedding.weight');
  const embedded = new Float32Array(n * c);
  for (let t = 0; t < n; t++) {
    const [py, px] = [Math.floor(t / grid), t % grid];
    for (let o = 0; o < c; o++) {
      let sum = kernelBias[o] + positions[t * c + o];
      for (let ch = 0; ch < numChannels; ch++)
        for (let ky = 0; ky < p; ky++)
          for (let kx = 0; kx < p; kx++)
            sum +=
              kernel[((o * numChannels + ch) * p + ky) * p + kx] *
              pixels[(ch * side + py * p + ky) * side + px * p + kx];
      embedded[t * c + o] = sum;
    }
  }
  const lastHidden = layerNorm(
    w,
    encoder(w, embedded, n, dims, 'vision_model.encoder'),
    n,
    c,
    dims.layerNormEps,
    'vision_model.post_layernorm',
  );

  const h = 'vision_model.head';
  const a = `${h}.attention`;
  const attended = attention(w, get(w, `${h}.probe`), 1, lastHidden, n, dims, [
    `${a}.in_proj_q`,
    `${a}.in_proj_k`,
    `${a}.in_proj_v`,
    `${a}.out_proj`,
  ]);
  const pooled = add(
    attended,
    mlp(w, layerNorm(w, attended, 1, c, dims.layerNormEps, `${h}.layernorm`), 1, dims, `${h}.mlp`),
  );
  return { lastHidden, pooled };
}

/** One token sequence → { lastHidden [S·C], pooled [projection] }. */
export function referenceText(
  w: Weights,
  dims: TextDims,
  ids: number[],
): { lastHidden: Float32Array; pooled: Float32Array } {
  const c = dims.hiddenSize;
  const tokens = get(w, 'text_model.embeddings.token_embedding.weight');
  const positions = get(w, 'text_model.embeddings.position_embedding.weight');
  const embedded = new Float32Array(ids.length * c);
  ids.forEach((id, s) => {
    for (let i = 0; i < c; i++) embedded[s * c + i] = tokens[id * c + i] + positions[s * c + i];
  });
  const n = ids.length;
  const lastHidden = layerNorm(
    w,
    encoder(w, embedded, n, dims, 'text_model.encoder'),
    n,
    c,
    dims.layerNormEps,
    'text_model.final_layer_norm',
  );
  const pooled = linear(w, lastHidden.slice((n - 1) * c), 1, c, dims.projectionSize, 'text_model.head');
  return { lastHidden, pooled };
}
