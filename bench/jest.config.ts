// Unit tests of the benchmark tooling (report rendering); no benchmark runs under Jest.
export default {
  displayName: 'bench',
  preset: '../jest.preset.js',
  rootDir: '.',
};
