import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const repoRoot = join(__dirname, '..', '..');

/** Every `apps/…`, `libs/…`, `infra/…` or `bench/…` path a page names in backticks. */
function namedSourcePaths(markdown: string): string[] {
  const paths = [...markdown.matchAll(/`((?:apps|libs|infra|bench)\/[\w./-]+)`/g)].map((match) => match[1]);
  return [...new Set(paths.map((path) => path.replace(/\/$/, '')))];
}

/** The README's "Follow one product" section, up to the next heading of the same or a higher level. */
function oneProductPath(readme: string): string {
  const start = readme.indexOf('### Follow one product');
  if (start < 0) throw new Error('README has no "### Follow one product" section');
  const rest = readme.slice(start + 1);
  const end = rest.search(/\n#{2,3} /);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('the docs name files that exist', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

  it('the one-product path names real files, at most 30 of them', () => {
    const files = namedSourcePaths(oneProductPath(readme));
    expect(files.length).toBeGreaterThan(5);
    expect(files.length).toBeLessThanOrEqual(30);
    expect(files.filter((file) => !existsSync(join(repoRoot, file)))).toEqual([]);
  });

  it('every source path in README.md and docs/*.md exists', () => {
    const pages = [
      'README.md',
      ...readdirSync(join(repoRoot, 'docs'))
        .filter((name) => name.endsWith('.md'))
        .map((name) => `docs/${name}`),
    ];
    const missing = pages.flatMap((page) =>
      namedSourcePaths(readFileSync(join(repoRoot, page), 'utf8'))
        .filter((path) => !path.includes('*') && !existsSync(join(repoRoot, path)))
        .map((path) => `${page}: ${path}`),
    );
    expect(missing).toEqual([]);
  });
});
