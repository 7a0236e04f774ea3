#!/usr/bin/env node
'use strict';
// Runs the production build (dist/cli.js, made by `npm run build`, which `npm ci` runs through
// `prepare`) when it is there and no source file that went into it has changed since; otherwise the
// TypeScript sources through tsx (which also resolves the @vectorizer/* path aliases), so a checkout
// being edited, or one installed without its build, still runs what its sources say.
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');

/** The build's entry when dist/ is complete and newer than every source it was built from. */
function freshBuild() {
  let info;
  try {
    info = JSON.parse(readFileSync(join(root, 'dist', 'build-info.json'), 'utf8'));
  } catch {
    return undefined;
  }
  // A production image carries dist/ without the sources: nothing to compare with.
  try {
    for (const input of info.inputs) {
      if (statSync(join(root, input)).mtimeMs > info.builtAt) return undefined;
    }
  } catch (error) {
    if (error.code !== 'ENOENT' || statExists(join(root, 'apps'))) return undefined;
  }
  return join(root, 'dist', 'cli.js');
}

function statExists(path) {
  return statSync(path, { throwIfNoEntry: false }) !== undefined;
}

// A stop request while the command is still loading (a container stopped as it starts): nothing
// has started, so it ends as a stopped command does, with 0. Commands that run until stopped install
// their own handlers synchronously when their action starts, before these are removed.
const stopWhileLoading = () => process.exit(0);
process.on('SIGTERM', stopWhileLoading);
process.on('SIGINT', stopWhileLoading);

const built = process.env.VECTORIZER_FROM_SOURCES === '1' ? undefined : freshBuild();
if (built) {
  require(built);
} else {
  require('tsx/cjs');
  require('../apps/cli/src/main.ts');
}
process.off('SIGTERM', stopWhileLoading);
process.off('SIGINT', stopWhileLoading);
