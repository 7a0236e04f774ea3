export default {
  displayName: 'embedder',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
