/**
 * Compose's variable interpolation, for the forms docker-compose.yml uses: `${NAME}`,
 * `${NAME:-default}`, `${NAME-default}`, `${NAME:?message}`, `${NAME?message}` and `$$` (a literal
 * `$`). Lets the parser-based checks see the values a container would get without the compose
 * binary. Defaults may not themselves contain `}`.
 */
export class MissingComposeVariableError extends Error {
  constructor(
    readonly variable: string,
    readonly hint: string,
  ) {
    super(`required variable ${variable} is missing a value: ${hint}`);
    this.name = 'MissingComposeVariableError';
  }
}

const pattern = /\$\$|\$\{(\w+)(?:(:?)([-?])([^}]*))?\}|\$(\w+)/g;

export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(
    pattern,
    (whole, name?: string, colon?: string, operator?: string, operand?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const variable = name ?? bare ?? '';
      const current = env[variable];
      const unset = current === undefined || (colon === ':' && current === '');
      if (!unset) return current;
      if (operator === '-') return operand ?? '';
      if (operator === '?') throw new MissingComposeVariableError(variable, operand ?? '');
      return '';
    },
  );
}

/** Interpolates every string in a parsed compose document (keys stay as written). */
export function interpolateDocument<T>(node: T, env: Record<string, string | undefined>): T {
  if (typeof node === 'string') return interpolate(node, env) as T;
  if (Array.isArray(node)) return node.map((item: unknown) => interpolateDocument(item, env)) as T;
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node as Record<string, unknown>).map(([key, value]) => [key, interpolateDocument(value, env)]),
    ) as T;
  }
  return node;
}
