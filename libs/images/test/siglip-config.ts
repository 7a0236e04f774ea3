/**
 * A SigLIP preprocessor_config.json with every field spelled out (the Pillow reference reads it too):
 * bicubic resize to `size`, rescale by 1/255, normalize by `mean` and `std`.
 */
export function siglipConfigJson(size: { height: number; width: number }, mean: number[], std: number[]) {
  return {
    image_processor_type: 'SiglipImageProcessor',
    do_resize: true,
    size,
    resample: 3,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: mean,
    image_std: std,
  };
}
