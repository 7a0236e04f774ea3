import type { Command } from 'commander';
import { embedImageInputs } from '@vectorizer/runtime';
import { runCommand } from '../context';

export function registerEmbed(program: Command): void {
  program
    .command('embed')
    .description(
      'Embed local image files or image URLs; prints one JSON line per input: {"input","dim","embedding"} or {"input","error"}.',
    )
    .argument('<inputs...>', 'image files or http(s) URLs')
    .option('--model-dir <dir>', 'model directory (overrides MODEL_DIR)')
    .option('--json', 'JSON lines on stdout (the only output format; logs go to stderr)')
    .action((inputs: string[], opts: { modelDir?: string }) =>
      runCommand('embed', async ({ runtime }) => {
        const outcomes = await embedImageInputs(runtime, inputs, { modelDir: opts.modelDir });
        for (const outcome of outcomes) process.stdout.write(`${JSON.stringify(outcome)}\n`);
        return outcomes.every((outcome) => 'embedding' in outcome) ? 0 : 1;
      }),
    );
}
