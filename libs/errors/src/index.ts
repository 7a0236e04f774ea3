export { settlesWithin, withDeadline } from './deadline';
export { VectorizerError, describeError } from './vectorizer-error';
export {
  EXIT_CANNOT_WORK,
  EXIT_CLEAN,
  EXIT_RESTART,
  codeOf,
  isRegisteredCode,
  meaningOf,
  type ErrorCode,
  type ErrorCodeMeaning,
  type JobFate,
} from './error-codes';
