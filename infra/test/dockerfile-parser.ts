/**
 * Just enough of the Dockerfile grammar to check our own Dockerfile's structure: global ARG
 * defaults, stages (FROM … AS …) and each stage's instructions with line continuations joined.
 * hadolint is not available in CI; this keeps the checks dependency-free.
 */

export interface DockerInstruction {
  keyword: string; // upper-cased: RUN, COPY, ENV, …
  args: string;
}

export interface DockerStage {
  name: string | undefined;
  /** The FROM argument with global ARG defaults substituted. */
  base: string;
  instructions: DockerInstruction[];
}

export interface ParsedDockerfile {
  globalArgs: Record<string, string>;
  stages: DockerStage[];
}

function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    lines.push((pending + line).trim());
    pending = '';
  }
  if (pending !== '') lines.push(pending.trim());
  return lines.filter((line) => line !== '');
}

function substituteArgs(value: string, args: Record<string, string>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    return args[name] ?? whole;
  });
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const line of logicalLines(text)) {
    const match = /^(\w+)\s*(.*)$/.exec(line);
    if (!match) continue;
    const keyword = match[1].toUpperCase();
    const args = match[2];
    if (keyword === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Unparseable FROM line: ${line}`);
      stages.push({ name: from[2], base: substituteArgs(from[1], globalArgs), instructions: [] });
    } else if (stages.length === 0 && keyword === 'ARG') {
      const arg = /^(\w+)(?:=(.*))?$/.exec(args);
      if (arg && arg[2] !== undefined) globalArgs[arg[1]] = arg[2];
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push({ keyword, args });
    }
  }
  return { globalArgs, stages };
}

/** Follows FROM <stage> links to the image a stage finally builds on. */
export function resolveBaseImage(dockerfile: ParsedDockerfile, stageName: string): string {
  const seen = new Set<string>();
  let stage = findStage(dockerfile, stageName);
  while (!seen.has(stage.base)) {
    seen.add(stage.base);
    const parent = dockerfile.stages.find((s) => s.name === stage.base);
    if (!parent) return stage.base;
    stage = parent;
  }
  throw new Error(`Stage cycle through ${stage.base}`);
}

export function findStage(dockerfile: ParsedDockerfile, name: string): DockerStage {
  const stage = dockerfile.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`No stage named ${name}; stages: ${dockerfile.stages.map((s) => s.name).join(', ')}`);
  return stage;
}
