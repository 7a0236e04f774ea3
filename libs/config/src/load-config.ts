import { VectorizerError } from '@vectorizer/errors';
import { redactCredentials } from '@vectorizer/logger';
import type { z } from 'zod';
import { type Config, envSchema } from './schema';

/** Lists every missing or malformed variable at once, so one restart fixes them all. */
export class ConfigError extends VectorizerError {
  readonly problems: { variable: string; problem: string; received?: string }[];

  constructor(problems: { variable: string; problem: string; received?: string }[]) {
    const lines = problems.map(
      (p) => `  - ${p.variable}: ${p.problem}${p.received === undefined ? '' : ` (got ${JSON.stringify(p.received)})`}`,
    );
    super('CONFIG_INVALID', `Invalid configuration: ${problems.length} problem(s)\n${lines.join('\n')}`, {
      hint: 'Fix the variables above in the environment; .env.example documents every variable and its default.',
    });
    this.problems = problems;
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value' && 'values' in issue) {
    if (issue.values.includes('true') && issue.values.includes('false')) return 'expected true or false';
    return `expected one of ${issue.values.map((v) => String(v)).join(', ')}`;
  }
  if (issue.code === 'too_small' && 'minimum' in issue) return `expected a number >= ${String(issue.minimum)}`;
  if (issue.code === 'invalid_type' && issue.expected === 'number') return 'expected a whole number';
  return issue.message;
}

/** Variables whose empty value means something: CUDA_VISIBLE_DEVICES="" hides every GPU, as in CUDA. */
const EMPTY_IS_A_VALUE = new Set(['CUDA_VISIBLE_DEVICES']);

/**
 * Parses the environment. Empty strings count as unset (docker-compose passes `FOO=` for
 * declared-but-empty variables), so defaults still apply to them.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && (value !== '' || EMPTY_IS_A_VALUE.has(key))) input[key] = value;
  }
  const result = envSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(environment)');
      // The rejected value is echoed so the operator sees what was read, minus any password in it.
      const received = input[variable] === undefined ? undefined : redactCredentials(input[variable]);
      return { variable, problem: describeIssue(issue), received };
    }),
  );
}
