import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEV_MODEL_GENERATOR, DEV_MODEL_MARKER_FILE } from '@vectorizer/images';
import { EmbedderError } from '../errors';

/**
 * What the runtime needs to know of a generated dev model (libs/dev-model writes the full marker):
 * its id and its size. resolve-model.spec checks a generated model against this reading.
 */

export interface DevModelIdentity {
  modelId: string;
  size: 'tiny' | 'base';
}

/** The identity recorded in `dir`'s marker, or undefined when the directory holds no generated dev model. */
export async function readDevModelIdentity(dir: string): Promise<DevModelIdentity | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, DEV_MODEL_MARKER_FILE), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  let marker: { generator?: unknown; modelId?: unknown; size?: unknown };
  try {
    marker = JSON.parse(text) as typeof marker;
  } catch (error) {
    throw new EmbedderError('MODEL_CONFIG_INVALID', `${join(dir, DEV_MODEL_MARKER_FILE)} is not valid JSON`, {
      hint: `delete ${dir} so the dev model is generated again`,
      cause: error,
    });
  }
  if (marker.generator !== DEV_MODEL_GENERATOR) return undefined;
  if (typeof marker.modelId !== 'string' || (marker.size !== 'tiny' && marker.size !== 'base')) {
    throw new EmbedderError('MODEL_CONFIG_INVALID', `${join(dir, DEV_MODEL_MARKER_FILE)} lacks a model id or size`, {
      hint: `delete ${dir} so the dev model is generated again`,
    });
  }
  return { modelId: marker.modelId, size: marker.size };
}
