import { getJestProjectsAsync } from '@nx/jest';
import type { Config } from 'jest';

// `npx jest` at the root runs every project; `npm test` runs them through Nx.
export default async (): Promise<Config> => ({
  projects: await getJestProjectsAsync(),
});
