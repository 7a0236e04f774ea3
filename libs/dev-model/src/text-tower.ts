import { onnx } from 'onnx-proto';
import { GraphBuilder } from './graph-builder';
import { EncoderDims, WEIGHT_STD, encoder, layerNorm, linear } from './transformer-layers';

export interface TextDims extends EncoderDims {
  vocabSize: number;
  maxPositionEmbeddings: number;
  /** Output size of the head; equals the vision hidden size so both towers share one space. */
  projectionSize: number;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/**
 * The SigLIP text tower (SiglipTextTransformer): token + position embeddings, the pre-LN encoder,
 * final_layer_norm (→ last_hidden_state), and head(last token) (→ pooler_output). SigLIP uses no
 * attention mask: texts are padded to max_length and the last position is always `</s>`.
 */
export function buildTextGraph(dims: TextDims): GraphBuilder {
  const g = new GraphBuilder('siglip_text_model');
  const { hiddenSize } = dims;
  const inputIds = g.input('input_ids', INT64, ['batch_size', 'sequence_length']);

  const tokenTable = g.weight('text_model.embeddings.token_embedding.weight', [dims.vocabSize, hiddenSize], {
    kind: 'normal',
    std: WEIGHT_STD,
  });
  const tokens = g.node('Gather', [tokenTable, inputIds], { output: 'text_model.embeddings/tokens' }); // [B, S, C]

  // Position embeddings for positions 0..S-1: slice the table to the sequence length.
  const positionTable = g.weight(
    'text_model.embeddings.position_embedding.weight',
    [dims.maxPositionEmbeddings, hiddenSize],
    {
      kind: 'normal',
      std: WEIGHT_STD,
    },
  );
  const sequenceLength = g.node('Shape', [inputIds], {
    output: 'text_model.embeddings/sequence_length',
    attributes: { start: { int: 1 }, end: { int: 2 } },
  });
  const positions = g.node(
    'Slice',
    [
      positionTable,
      g.constInt64('text_model.embeddings/slice_start', [0]),
      sequenceLength,
      g.constInt64('text_model.embeddings/slice_axis', [0]),
    ],
    {
      output: 'text_model.embeddings/positions',
    },
  );
  const embedded = g.node('Add', [tokens, positions], { output: 'text_model.embeddings/output' });

  const encoded = encoder(g, embedded, dims, 'text_model.encoder');
  const lastHidden = layerNorm(g, encoded, hiddenSize, dims.layerNormEps, 'text_model.final_layer_norm');
  g.output(lastHidden, 'last_hidden_state', FLOAT, ['batch_size', 'sequence_length', hiddenSize]);

  const lastToken = g.node('Gather', [lastHidden, g.constInt64('text_model/last_token', [-1], [])], {
    output: 'text_model/last_token_state',
    attributes: { axis: { int: 1 } },
  });
  g.output(linear(g, lastToken, hiddenSize, dims.projectionSize, 'text_model.head'), 'pooler_output', FLOAT, [
    'batch_size',
    dims.projectionSize,
  ]);
  return g;
}
