export default {
  displayName: 'dev-model',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
