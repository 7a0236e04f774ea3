export { ImageError, isImageError, type ImageErrorCode, type ImageErrorOptions } from './errors';
export { sniffImageFormat, requireSupportedFormat, type ImageFormat } from './format';
export {
  parsePreprocessorConfig,
  PreprocessorConfigError,
  PIL_RESAMPLE,
  type PilResample,
  type PreprocessorConfig,
} from './preprocessor-config';
export { type DecodeLimits, type ResizeMode } from './decode';
export { preprocessImage, planPreprocess, type PreprocessPlan } from './preprocess';
export { recyclePixels } from './pixel-pool';
export { readHeader as readImageHeader } from './decode';
export { decodeMemoryEstimate, type DecodeMemoryTarget } from './decode-memory';
export { ImageFetcher, type ImageFetcherOptions, type FetchedImage } from './fetch/image-fetcher';
export { isPrivateAddress } from './fetch/ssrf-guard';
export { parseRetryAfter } from './fetch/retry-after';
export { decodeLimitsFromConfig, fetcherOptionsFromConfig } from './options-from-config';
