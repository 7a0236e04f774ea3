export default {
  displayName: 'logger',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
