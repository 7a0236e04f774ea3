export default {
  displayName: 'supervisor',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
