export { type DuplicateGroup, type DuplicatesReport, type FindDuplicatesOptions } from './find-duplicates';
export { type SimilarityDistribution, type ThresholdChoice } from './duplicate-threshold';
export { KnnPlanner, type KnnPlannerOptions, type KnnStore, type KnnStrategy, type PlannedSearch } from './knn-planner';
export {
  DuplicateLinks,
  LINKS_PER_PRODUCT,
  startLinksRefresher,
  type LinksReport,
  type LinksStore,
  type NeighbourSearch,
} from './duplicate-links';
export { SearchInput, SearchInputError } from './search-input';
export { LazyQueryEncoder, type QueryEncoder, type QueryEncoderSource } from './query-encoder';
export { SearchService, type ActiveModelSource, type SearchAnswer, type VectorSearch } from './search-service';
export { DuplicatesService, type DuplicatesCatalog } from './duplicates-service';
