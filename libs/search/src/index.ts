export {
  findDuplicates,
  type DuplicateGroup,
  type DuplicatesReport,
  type FindDuplicatesOptions,
} from './find-duplicates';
export {
  chooseDuplicateThreshold,
  IDENTICAL_SIMILARITY,
  type SimilarityDistribution,
  type ThresholdChoice,
} from './duplicate-threshold';
