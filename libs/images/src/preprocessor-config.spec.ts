import { parsePreprocessorConfig, PreprocessorConfigError } from './preprocessor-config';

// google/siglip-base-patch16-224's preprocessor_config.json, as published.
const SIGLIP = {
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  image_mean: [0.5, 0.5, 0.5],
  image_processor_type: 'SiglipImageProcessor',
  image_std: [0.5, 0.5, 0.5],
  processor_class: 'SiglipProcessor',
  resample: 3,
  rescale_factor: 0.00392156862745098,
  size: { height: 224, width: 224 },
};

describe('parsePreprocessorConfig', () => {
  it('reads a SigLIP config', () => {
    expect(parsePreprocessorConfig(SIGLIP)).toEqual({
      size: { height: 224, width: 224 },
      resample: 3,
      do_resize: true,
      do_rescale: true,
      rescale_factor: 0.00392156862745098,
      do_normalize: true,
      image_mean: [0.5, 0.5, 0.5],
      image_std: [0.5, 0.5, 0.5],
    });
  });

  it('fills optional fields with SiglipImageProcessor defaults and broadcasts scalar mean/std', () => {
    const config = parsePreprocessorConfig({ size: { height: 16, width: 32 }, image_mean: 0.5, image_std: 0.25 });
    expect(config).toMatchObject({ resample: 3, do_rescale: true, rescale_factor: 1 / 255, do_normalize: true });
    expect(config.image_mean).toEqual([0.5, 0.5, 0.5]);
    expect(config.image_std).toEqual([0.25, 0.25, 0.25]);
  });

  it.each([
    [{ ...SIGLIP, size: { shortest_edge: 224 } }, 'size.height'],
    [{ ...SIGLIP, size: { height: 0, width: 224 } }, 'size.height'],
    [{ ...SIGLIP, image_std: [0.5, 0, 0.5] }, 'image_std'],
    [{ ...SIGLIP, image_mean: [0.5, 0.5] }, 'image_mean'],
    [{ ...SIGLIP, resample: 4 }, 'resample'],
    [{ ...SIGLIP, do_resize: false }, 'do_resize'],
    [{ ...SIGLIP, rescale_factor: -1 }, 'rescale_factor'],
    [null, '(root)'],
  ])('names the bad field (%#: %s)', (json, field) => {
    expect(() => parsePreprocessorConfig(json)).toThrow(PreprocessorConfigError);
    expect(() => parsePreprocessorConfig(json)).toThrow(`invalid ${field}`);
  });
});
