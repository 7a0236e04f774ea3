import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DockerStage, findStage, parseDockerfile, resolveBaseImage } from './dockerfile-parser';

const repoRoot = join(__dirname, '..', '..');
const dockerfile = parseDockerfile(readFileSync(join(repoRoot, 'infra/docker/Dockerfile'), 'utf8'));

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

describe('infra/docker/Dockerfile', () => {
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

  it('installs the CUDA 12 onnxruntime provider for gpu and skips it for cpu', () => {
    const gpuDeps = argsOf(dependencyStageOf(findStage(dockerfile, 'gpu')), 'RUN').join('\n');
    expect(gpuDeps).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci --omit=dev/);
    const cpuDeps = argsOf(dependencyStageOf(findStage(dockerfile, 'cpu')), 'RUN').join('\n');
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
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!'));
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
    for (const source of sources) {
      // Literal top-level patterns are the ones that could hide a COPY source here.
      const hiddenBy = ignored.find((pattern) => pattern === source || source.startsWith(`${pattern}/`));
      expect({ source, hiddenBy }).toEqual({ source, hiddenBy: undefined });
    }
  });
});
