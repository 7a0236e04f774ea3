export default {
  displayName: 'infra',
  preset: '../jest.preset.js',
  rootDir: '.',
};
