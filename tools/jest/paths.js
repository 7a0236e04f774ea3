// Maps the tsconfig path aliases (@vectorizer/*) to source files for Jest.
const path = require('node:path');
const { compilerOptions } = require('../../tsconfig.base.json');

exports.pathsToModuleNameMapper = function pathsToModuleNameMapper() {
  const root = path.resolve(__dirname, '..', '..');
  const mapper = {};
  for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
    mapper[`^${alias.replace(/[/@]/g, (c) => `\\${c}`)}$`] = path.join(root, target);
  }
  return mapper;
};
