export { VectorizerError, describeError } from './vectorizer-error';
