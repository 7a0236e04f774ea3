export default {
  displayName: 'devices',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
