/**
 * One forward-only schema step. Applied migrations are immutable: the runner stores a checksum of
 * `sql` and refuses to continue if it changes later, so every change goes into a new version.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}
