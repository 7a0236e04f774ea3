export { settlesWithin, withDeadline } from './deadline';
export { VectorizerError, describeError } from './vectorizer-error';
export {
  EXIT_CANNOT_WORK,
  EXIT_CLEAN,
  EXIT_RESTART,
  codeOf,
  isRegisteredCode,
  meaningOf,
  registeredCodes,
  type ErrorCode,
  type ErrorCodeMeaning,
  type ExitCode,
  type JobFate,
} from './error-codes';
