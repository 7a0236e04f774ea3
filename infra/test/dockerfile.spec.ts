import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DockerStage, findStage, parseDockerfile, resolveBaseImage } from './dockerfile-parser';

const repoRoot = join(__dirname, '..', '..');
const dockerfileText = readFileSync(join(repoRoot, 'infra/docker/Dockerfile'), 'utf8');
const dockerfile = parseDockerfile(dockerfileText);

/** Files of the build context a stage's RUN steps mount (`--mount=type=bind,source=…`). */
function bindSourcesOf(stage: DockerStage): string[] {
  return stage.instructions
    .filter((i) => i.keyword === 'RUN')
    .flatMap((i) => [...i.args.matchAll(/--mount=type=bind,source=([^,\s]+)/g)].map((m) => m[1]));
}

function argsOf(stage: DockerStage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** The stage a runtime stage takes its node_modules from (COPY --from=<stage> … node_modules). */
function dependencyStageOf(stage: DockerStage): DockerStage {
  const copy = argsOf(stage, 'COPY').find((args) => /\/node_modules\s/.test(`${args} `) && args.includes('--from='));
  const from = copy && /--from=(\S+)/.exec(copy);
  if (!from) throw new Error(`stage ${stage.name} copies no node_modules from another stage`);
  return findStage(dockerfile, from[1]);
}

/** That stage and the stages it builds on (FROM <stage>), nearest first. */
function dependencyChainOf(stage: DockerStage): DockerStage[] {
  const chain = [dependencyStageOf(stage)];
  for (let parent = dockerfile.stages.find((s) => s.name === chain.at(-1)?.base); parent;) {
    chain.push(parent);
    parent = dockerfile.stages.find((s) => s.name === parent?.base);
  }
  return chain;
}

describe('infra/docker/Dockerfile', () => {
  it("needs no frontend image: no `# syntax=` line (BuildKit's built-in one reaches no registry)", () => {
    expect(dockerfileText).not.toMatch(/^#\s*syntax\s*=/im);
    expect(dockerfileText).toMatch(/BuildKit is required/);
  });

  it.each(['cpu', 'gpu'])(
    '%s target proves its install before it is finished: every package, the natives, the CLI',
    (target) => {
      const stage = findStage(dockerfile, target);
      const runs = argsOf(stage, 'RUN');
      const last = runs[runs.length - 1];
      expect(last).toMatch(
        /--mount=type=bind,source=infra\/docker\/verify-install\.mjs,target=\/app\/dist\/verify-install\.mjs/,
      );
      expect(last).toMatch(/node dist\/verify-install\.mjs && node bin\/vectorizer\.js --help/);
      // As the runtime user, after everything the image runs is in place.
      const keywords = stage.instructions.map((i) => i.keyword);
      expect(keywords.lastIndexOf('USER')).toBeLessThan(keywords.lastIndexOf('RUN'));
      expect(keywords.lastIndexOf('COPY')).toBeLessThan(keywords.lastIndexOf('RUN'));
    },
  );

  it.each(['cpu', 'gpu'])(
    '%s dependencies: npm ls fails a tree npm left incomplete; the slim step prunes',
    (target) => {
      const deps = dependencyChainOf(findStage(dockerfile, target))
        .flatMap((stage) => argsOf(stage, 'RUN'))
        .join('\n');
      expect(deps).toMatch(/npm ci --omit=dev[^&]*&& npm ls --omit=dev --all/);
      expect(deps).toMatch(/sh \/tmp\/slim-node-modules\.sh node_modules/);
    },
  );

  it('hands npm a CA bundle only as a build secret, in every npm ci', () => {
    const npmCi = dockerfile.stages.flatMap((stage) => argsOf(stage, 'RUN')).filter((args) => /npm ci/.test(args));
    expect(npmCi.length).toBeGreaterThanOrEqual(2);
    for (const args of npmCi) {
      expect(args).toContain('--mount=type=secret,id=npm_ca');
      expect(args).toContain('npm_config_cafile=/run/secrets/npm_ca');
    }
    expect(dockerfileText).not.toMatch(/^\s*(ENV|ARG)\b.*cafile/im);
  });

  it('has cpu and gpu targets', () => {
    const names = dockerfile.stages.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['cpu', 'gpu']));
  });

  it('builds the gpu target on a CUDA 12 + cuDNN 9 runtime image', () => {
    // cuDNN 9 images carry no cuDNN number in the tag (12.x-cudnn-runtime-…); cuDNN 8 ones say cudnn8.
    expect(resolveBaseImage(dockerfile, 'gpu')).toMatch(
      /^nvidia\/cuda:12\.\d+(\.\d+)?-cudnn(9)?-runtime-ubuntu\d{2}\.04$/,
    );
  });

  it('installs the CUDA 12 onnxruntime provider for gpu on top of the cpu tree, and skips it for cpu', () => {
    const gpuStage = dependencyStageOf(findStage(dockerfile, 'gpu'));
    const cpuStage = dependencyStageOf(findStage(dockerfile, 'cpu'));
    // One npm ci for both: the gpu tree is the cpu tree plus what onnxruntime's install fetches for cuda12.
    expect(gpuStage.base).toBe(cpuStage.name);
    const gpuDeps = argsOf(gpuStage, 'RUN').join('\n');
    expect(gpuDeps).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install/);
    expect(gpuDeps).toMatch(
      /test -f node_modules\/onnxruntime-node\/bin\/napi-v6\/linux\/x64\/libonnxruntime_providers_cuda\.so/,
    );
    const cpuDeps = argsOf(cpuStage, 'RUN').join('\n');
    expect(cpuDeps).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev/);
  });

  it('runs Node 20 in both targets', () => {
    expect(resolveBaseImage(dockerfile, 'cpu')).toMatch(/^node:20([.-]|$)/);
    const gpuCopies = argsOf(findStage(dockerfile, 'gpu'), 'COPY').filter((a) => a.includes('/usr/local/bin/node'));
    expect(gpuCopies).toHaveLength(1);
    const nodeStage = /--from=(\S+)/.exec(gpuCopies[0])?.[1] ?? '';
    expect(resolveBaseImage(dockerfile, nodeStage)).toMatch(/^node:20([.-]|$)/);
  });

  it.each(['cpu', 'gpu'])('%s target runs the CLI as a non-root user', (target) => {
    const stage = findStage(dockerfile, target);
    const users = argsOf(stage, 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^(root|0)(:|$)/);
    expect(argsOf(stage, 'ENTRYPOINT')).toEqual(['["node", "bin/vectorizer.js"]']);
  });

  it.each(['cpu', 'gpu'])('%s target runs the build (dist/ from the build stage), no sources and no tsx', (target) => {
    const copies = argsOf(findStage(dockerfile, target), 'COPY');
    const dist = copies.filter((args) => /\/app\/dist\s+\.\/dist$/.test(args));
    expect(dist).toHaveLength(1);
    const buildStage = findStage(dockerfile, /--from=(\S+)/.exec(dist[0])?.[1] ?? '');
    const build = argsOf(buildStage, 'RUN').join('\n');
    expect(build).toMatch(/npm ci /);
    expect(build).not.toMatch(/--omit=dev/);
    expect(build).toMatch(/npm run build/);
    // Sources stay in the build stage; the runtime needs package.json (the root marker), bin/ and dist/.
    const sources = copies
      .filter((args) => !args.includes('--from='))
      .flatMap((args) => args.split(/\s+/).slice(0, -1));
    expect(sources.filter((word) => !word.startsWith('--')).sort()).toEqual(['bin', 'package.json']);
    const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(packageJson.dependencies)).not.toContain('tsx');
  });

  it.each(['cpu', 'gpu'])('%s target sets NODE_ENV=production (which refuses the dev model)', (target) => {
    const env = argsOf(findStage(dockerfile, target), 'ENV').join(' ');
    expect(env).toMatch(/(^|\s)NODE_ENV=production(\s|\\|$)/);
  });

  it('sends everything the COPY instructions need through .dockerignore', () => {
    const lines = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    const ignored = lines.filter((line) => !line.startsWith('!'));
    const reincluded = lines.filter((line) => line.startsWith('!')).map((line) => line.slice(1));
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '.env', '.git']));

    const sources = dockerfile.stages
      .flatMap((stage) => argsOf(stage, 'COPY'))
      .filter((args) => !args.includes('--from='))
      .flatMap((args) => {
        const words = args.split(/\s+/).filter((word) => !word.startsWith('--'));
        return words.slice(0, -1);
      });
    expect(sources).toEqual(
      expect.arrayContaining(['package-lock.json', 'tsconfig.base.json', 'tools/build.mjs', 'bin', 'apps', 'libs']),
    );
    const mounted = dockerfile.stages.flatMap(bindSourcesOf);
    expect(mounted).toEqual(
      expect.arrayContaining(['infra/docker/verify-install.mjs', 'infra/docker/slim-node-modules.sh']),
    );
    for (const source of [...sources, ...mounted]) {
      // Literal top-level patterns are the ones that could hide a source here; a later `!path` brings it back.
      const hiddenBy = reincluded.includes(source)
        ? undefined
        : ignored.find((pattern) => pattern === source || source.startsWith(`${pattern}/`));
      expect({ source, hiddenBy }).toEqual({ source, hiddenBy: undefined });
    }
  });
});
