export default {
  displayName: 'pipeline',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
