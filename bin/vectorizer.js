#!/usr/bin/env node
'use strict';
// Runs the TypeScript CLI through tsx (which also resolves the @vectorizer/* path aliases), so a
// checkout works right after `npm ci` with no build step.
require('tsx/cjs');
require('../apps/cli/src/main.ts');
