/**
 * The contract every benchmark script shares with `npm run bench` (bench/run-all.ts): with
 * `--json FILE` a script writes {"benchmark", "figures": [...]} there besides printing its lines.
 */
import { writeFileSync } from 'node:fs';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  /** The same quantity measured with the plain library at its best settings for this machine. */
  ceiling?: number;
  ceilingName?: string;
  /** value / ceiling (or the documented inverse for costs, said in `note`). */
  ratio?: number;
  note?: string;
}

export interface BenchResult {
  benchmark: string;
  figures: BenchFigure[];
}

/** The value of `--name VALUE` in argv, or undefined. */
export function argValue(name: string, argv: readonly string[] = process.argv): string | undefined {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : undefined;
}

/** Collects figures while a benchmark runs; `write()` honours --json FILE (a no-op without it). */
export class BenchFigures {
  private readonly figures: BenchFigure[] = [];

  constructor(
    readonly benchmark: string,
    private readonly jsonPath = argValue('json'),
  ) {}

  add(figure: BenchFigure): void {
    const ratio =
      figure.ratio ?? (figure.ceiling !== undefined && figure.ceiling > 0 ? figure.value / figure.ceiling : undefined);
    this.figures.push({ ...figure, ...(ratio === undefined ? {} : { ratio }) });
  }

  result(): BenchResult {
    return { benchmark: this.benchmark, figures: [...this.figures] };
  }

  write(): void {
    if (this.jsonPath) writeFileSync(this.jsonPath, `${JSON.stringify(this.result(), null, 2)}\n`);
  }
}
