import {
  DuplicateLinks,
  DuplicatesService,
  KnnPlanner,
  LazyQueryEncoder,
  SearchInput,
  SearchService,
  type QueryEncoderSource,
} from '@vectorizer/search';
import {
  DuplicateLinksRepository,
  EmbeddingsRepository,
  ModelsRepository,
  ProductsRepository,
  SearchRepository,
} from '@vectorizer/store';
import { createSearchMetrics } from '@vectorizer/telemetry';
import type { Config } from '@vectorizer/config';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { Runtime } from './runtime';

/** A search request the caller cannot have answered as asked (SEARCH_INPUT_INVALID): the apps raise it too. */
export { SearchInputError } from '@vectorizer/search';

export interface SearchServiceParts extends SearchSettings {
  /** The catalog, the model registry and the stored links. */
  pool: pg.Pool;
  /** A pool only the planner uses: SearchRepository keeps session settings on its connections. */
  searchPool: pg.Pool;
  /** The model text and image queries are embedded with. */
  queries: QueryEncoderSource;
  /** Where the planner counts its strategies (left out: not counted). */
  registry?: Registry;
}

/** The search settings: SEARCH_EF_SEARCH, SEARCH_EXACT_MAX_ROWS, SEARCH_MAX_K. */
export interface SearchSettings {
  efSearch: number;
  exactMaxRows: number;
  maxK: number;
}

/** The search settings from config, for the API and the CLI alike. */
export function searchSettings(config: Config): SearchSettings {
  return {
    efSearch: config.SEARCH_EF_SEARCH,
    exactMaxRows: config.SEARCH_EXACT_MAX_ROWS,
    maxK: config.SEARCH_MAX_K,
  };
}

/** Searching and finding duplicates, for the API and the CLI alike, with the rules their input is read by. */
export interface SearchServices {
  search: SearchService;
  duplicates: DuplicatesService;
  input: SearchInput;
  /** The near-duplicate links the API keeps up to date in the background. */
  links: DuplicateLinks;
  /** The model registry: which model answers searches. */
  models: ModelsRepository;
}

/** Wires the kNN planner (over `searchPool`), the search and duplicates services from ready-made parts. */
export function searchServices(parts: SearchServiceParts): SearchServices {
  const planner = new KnnPlanner(new SearchRepository(parts.searchPool), {
    efSearch: parts.efSearch,
    exactMaxRows: parts.exactMaxRows,
    ...(parts.registry ? { metrics: createSearchMetrics(parts.registry) } : {}),
  });
  const models = new ModelsRepository(parts.pool);
  const links = new DuplicateLinks(
    new DuplicateLinksRepository(parts.pool),
    async (query, model, k) => (await planner.search(query, model, k)).hits,
  );
  const embeddings = new EmbeddingsRepository(parts.pool);
  const products = new ProductsRepository(parts.pool);
  return {
    search: new SearchService(planner, models, parts.queries),
    duplicates: new DuplicatesService(
      planner,
      models,
      { embeddedProductIds: (model) => embeddings.embeddedProductIds(model), describe: (id) => products.get(id) },
      links,
    ),
    input: new SearchInput(parts.maxK),
    links,
    models,
  };
}

export interface OpenSearchServices extends SearchServices {
  close(): Promise<void>;
}

/**
 * The search services of a one-shot command, from config: one connection for the catalog, one for
 * the planner (its session settings end with the command), and the configured model's embedder,
 * started only when a query needs it.
 */
export function openSearchServices(runtime: Runtime): OpenSearchServices {
  const { config } = runtime;
  const pool = runtime.pool({ max: 1 });
  const searchPool = runtime.pool({ max: 1 });
  const queries = new LazyQueryEncoder(
    async () => (await runtime.model()).id,
    async () => runtime.startEmbedder(await runtime.model()),
  );
  const services = searchServices({
    pool,
    searchPool,
    queries,
    ...searchSettings(config),
  });
  return {
    ...services,
    close: async () => {
      await queries.close();
      await Promise.all([pool.end(), searchPool.end()]);
    },
  };
}
