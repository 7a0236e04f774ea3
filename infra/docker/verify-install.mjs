// Run by every runtime image as its last build step (and by the e2e): the image must be able to do
// its work before it is finished. A partial or broken `npm ci` (npm can exit 0 without finishing)
// or an over-eager prune fails the build here, not the first job.
//   - every npm package the production bundles (dist/*.js) load resolves and loads
//   - onnxruntime-node's native binding loads and offers the CPU provider
//   - sharp's libvips encodes and decodes an image
//   - the tokenizer's library (@huggingface/transformers) loads
// It resolves packages as the bundles do, from its own place: the Dockerfile mounts it at
// /app/dist/verify-install.mjs for the one RUN (it is not part of the image). Usage: node dist/verify-install.mjs
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = dirname(dirname(fileURLToPath(import.meta.url)));
const requireFromApp = createRequire(join(appDir, 'package.json'));
const fail = (message) => {
  process.stderr.write(`verify-install: ${message}\n`);
  process.exit(1);
};

const specifiers = new Set();
for (const file of readdirSync(join(appDir, 'dist')).filter((name) => name.endsWith('.js'))) {
  const text = readFileSync(join(appDir, 'dist', file), 'utf8');
  for (const match of text.matchAll(/\b(?:require|import)\("([^".][^"]*)"\)/g)) {
    if (!isBuiltin(match[1])) specifiers.add(match[1]);
  }
}
if (specifiers.size < 10) fail(`only ${specifiers.size} packages named in ${appDir}/dist: is the build there?`);
for (const specifier of [...specifiers].sort()) {
  try {
    await import(specifier);
  } catch (error) {
    fail(`${specifier} (loaded by dist/) does not load: ${error.message}`);
  }
}

const ort = requireFromApp('onnxruntime-node');
const backends = ort.listSupportedBackends().map((backend) => backend.name);
if (!backends.includes('cpu')) fail(`onnxruntime-node offers no CPU provider (${backends.join(', ')})`);

const sharp = requireFromApp('sharp');
const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#c0392b' } })
  .png()
  .toBuffer();
const { info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
if (info.width !== 4 || info.channels !== 3) fail(`sharp decoded ${JSON.stringify(info)}`);

const { AutoTokenizer } = await import('@huggingface/transformers');
if (typeof AutoTokenizer?.from_pretrained !== 'function') fail('@huggingface/transformers has no AutoTokenizer');

process.stdout.write(
  `verify-install: ${specifiers.size} packages load; onnxruntime ${ort.env.versions?.common ?? ''} (${backends.join(', ')}); ` +
    `sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}\n`,
);
