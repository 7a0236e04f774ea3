export { ImageError, type ImageErrorCode, type ImageErrorOptions } from './errors';
export { parsePreprocessorConfig, type PilResample, type PreprocessorConfig } from './preprocessor-config';
export { type DecodeLimits, type ResizeMode, type RgbPixels } from './decode';
export { preprocessImage, planPreprocess, type PreprocessPlan } from './preprocess';
export { ChwNormalizer } from './chw';
export { ImageFetcher, type ImageFetcherOptions, type FetchedImage } from './fetch/image-fetcher';
export { decodeLimitsFromConfig, fetcherOptionsFromConfig } from './options-from-config';
export { readFileUrl } from './fetch/file-url';
export { float32ToHalfBits, fromHalfBits, halfBitsToFloat32, toHalfBits } from './half-float';
