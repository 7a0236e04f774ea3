import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EmbedderError } from '../errors';
import { CONFIG_FILE } from './model-files';

export interface ModelConfigSummary {
  /** Embedding size of the vision tower's pooled output. */
  dimension: number;
  /** Token length the text tower was trained with (SigLIP pads every query to it). */
  textMaxLength?: number;
  /** `_name_or_path` as written by the exporter, used to name a model directory that has no manifest. */
  nameOrPath?: string;
}

type Json = Record<string, unknown>;

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function section(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/**
 * transformers writes only the fields that differ from its config classes' defaults, so a
 * base-sized export (google/siglip-base-*, google/siglip2-base-*: model_type `siglip`) has no
 * hidden_size or max_position_embeddings at all. These are those classes' own defaults
 * (SiglipVisionConfig / SiglipTextConfig, and the Siglip2 ones, which match), read exactly as
 * transformers reads a config that leaves them out — keyed by the section's model_type, so a config
 * of another family still has to state its numbers.
 */
const CONFIG_CLASS_DEFAULTS: Record<string, Json> = {
  siglip_vision_model: { hidden_size: 768 },
  siglip2_vision_model: { hidden_size: 768 },
  siglip_text_model: { hidden_size: 768, max_position_embeddings: 64 },
  siglip2_text_model: { hidden_size: 768, max_position_embeddings: 64 },
};

/** The fields of one config class, with its defaults under the ones the file states. */
function withClassDefaults(part: Json, modelType: unknown): Json {
  return { ...(CONFIG_CLASS_DEFAULTS[typeof modelType === 'string' ? modelType : ''] ?? {}), ...part };
}

/**
 * One tower's config: `vision_config` / `text_config` (its model_type, else `<model_type>_<tower>_model`),
 * an all-default tower when a SigLIP config leaves the section out entirely, else undefined.
 */
function towerConfig(config: Json, tower: 'vision' | 'text'): Json | undefined {
  const part = section(config[`${tower}_config`]);
  const impliedType = typeof config.model_type === 'string' ? `${config.model_type}_${tower}_model` : undefined;
  if (part) return withClassDefaults(part, part.model_type ?? impliedType);
  return impliedType && impliedType in CONFIG_CLASS_DEFAULTS ? withClassDefaults({}, impliedType) : undefined;
}

/**
 * Reads the numbers the code must not hard-code from config.json. Handles a full dual-tower config
 * (vision_config / text_config) and a vision-only export (hidden_size at the top level).
 */
export function summarizeModelConfig(json: unknown, file: string): ModelConfigSummary {
  const config = section(json);
  if (!config) {
    throw new EmbedderError('MODEL_CONFIG_INVALID', `${file} is not a JSON object`, {
      hint: 'Re-download the model; config.json must be the transformers model configuration.',
    });
  }
  // A vision-only export (SiglipVisionModel) has the tower's fields at the top level.
  const vision = towerConfig(config, 'vision') ?? withClassDefaults(config, config.model_type);
  const dimension = positiveInt(vision.projection_dim) ?? positiveInt(vision.hidden_size);
  if (dimension === undefined) {
    throw new EmbedderError(
      'MODEL_CONFIG_INVALID',
      `${file} has no vision_config.hidden_size (the embedding dimension)`,
      {
        hint: 'Use a SigLIP/CLIP export whose config.json describes the vision tower.',
      },
    );
  }
  const text = towerConfig(config, 'text');
  return {
    dimension,
    textMaxLength: positiveInt(text?.max_position_embeddings),
    nameOrPath:
      typeof config._name_or_path === 'string' && config._name_or_path !== '' ? config._name_or_path : undefined,
  };
}

export async function readJsonFile(file: string, whatItIs: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new EmbedderError('MODEL_FILE_MISSING', `${whatItIs} is missing: ${file}`, {
      hint: 'The model directory is incomplete; re-download or regenerate it.',
      cause: error,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new EmbedderError('MODEL_CONFIG_INVALID', `${whatItIs} is not valid JSON: ${file}`, {
      hint: 'The file is truncated or corrupt; re-download the model.',
      cause: error,
    });
  }
}

export async function readModelConfig(dir: string): Promise<ModelConfigSummary> {
  const file = join(dir, CONFIG_FILE);
  return summarizeModelConfig(await readJsonFile(file, 'config.json'), file);
}
