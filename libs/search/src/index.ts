export { findDuplicates, type DuplicateGroup, type FindDuplicatesOptions } from './find-duplicates';
