import type { Migration } from './migration';

export const createProducts: Migration = {
  version: 1,
  name: 'create_products',
  sql: `
CREATE TABLE products (
  id          text PRIMARY KEY,
  image_url   text NOT NULL,
  title       text,
  attributes  jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
`,
};
