import pg from 'pg';
import type { Logger } from '@vectorizer/logger';
import { probePostgres } from '@vectorizer/store';

/** Advisory-lock class of the listener's leadership; the second key is hashtext(current_schema()). */
export const LISTENER_LOCK_CLASS = 0x6c697374; // 'list'

export interface ProductsListenerOptions {
  databaseUrl: string;
  /** The schema whose products table is watched (tests); unset: the search_path's. */
  schema?: string;
  logger: Logger;
  /** A coalesced batch of notified product ids (inserted, or with a new image_url). */
  onProducts: (ids: string[]) => Promise<void>;
  /**
   * Something may have been missed or too much changed to name: this listener just became the
   * leader (notifications sent while none listened are lost), a bulk statement changed more than
   * 100 products (one empty notification), or handling a batch failed.
   */
  onReconcileNeeded: () => void;
  /** How often a follower asks for the leadership, and how long to wait between reconnects. */
  retryMs?: number;
  /** A batch closes this long after its first id, or at batchMaxIds ids. */
  batchWaitMs?: number;
  batchMaxIds?: number;
  probeTimeoutMs?: number;
}

type State = 'starting' | 'leading' | 'following' | 'disconnected' | 'stopped';

/**
 * The Postgres side of intake: one dedicated connection that holds a session-level advisory lock
 * (one leader per cluster; the lock dies with the connection, so when the leader's process or
 * connection dies another listener takes over within `retryMs`) and LISTENs on the products
 * channel the migration's triggers notify. Reconnects forever; one log line per state change.
 */
export class ProductsListener {
  private state: State = 'starting';
  private client: pg.Client | undefined;
  private stopping = false;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private batch: string[] = [];
  private batchTimer: NodeJS.Timeout | undefined;
  private handling: Promise<void> = Promise.resolve();
  private readonly retryMs: number;

  constructor(private readonly options: ProductsListenerOptions) {
    this.retryMs = options.retryMs ?? 1_000;
  }

  get leading(): boolean {
    return this.state === 'leading';
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Closes the connection (which releases the leadership) after the batch in hand is handled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.client?.end().catch(() => undefined);
    await this.running;
    this.flush();
    await this.handling;
    this.setState('stopped');
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await probePostgres(this.options.databaseUrl, { timeoutMs: this.options.probeTimeoutMs });
        await this.leadWhileConnected();
      } catch (error) {
        if (this.stopping) break;
        this.setState('disconnected', error);
      }
      await this.sleep(this.retryMs);
    }
  }

  /** Resolves when the connection ends (or the listener stops); throws on a connection failure. */
  private async leadWhileConnected(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: 'vectorizer-listener',
      // A dead peer must be noticed: the leadership is only freed when the server drops the session.
      keepAlive: true,
      connectionTimeoutMillis: this.options.probeTimeoutMs ?? 5_000,
      options: this.options.schema === undefined ? undefined : `-c search_path=${this.options.schema},public`,
    });
    const ended = new Promise<void>((_resolve, reject) => {
      client.on('error', reject);
      client.on('end', () => reject(new Error('the listener connection closed')));
    });
    ended.catch(() => undefined);
    this.client = client;
    try {
      await client.connect();
      while (!this.stopping) {
        const { rows } = await client.query<{ leader: boolean }>(
          'SELECT pg_try_advisory_lock($1, hashtext(current_schema())) AS leader',
          [LISTENER_LOCK_CLASS],
        );
        if (rows[0]?.leader) break;
        this.setState('following');
        await Promise.race([this.sleep(this.retryMs), ended]);
      }
      if (this.stopping) return;
      const { rows } = await client.query<{ channel: string }>(
        "SELECT 'vectorizer_products_' || 'products'::regclass::oid AS channel",
      );
      const channel = rows[0]?.channel as string;
      client.on('notification', (message) => this.onNotification(message.payload ?? ''));
      await client.query(`LISTEN "${channel}"`);
      this.setState('leading', undefined, channel);
      this.options.onReconcileNeeded();
      await ended;
    } finally {
      this.client = undefined;
      this.flush();
      await client.end().catch(() => undefined);
    }
  }

  private onNotification(productId: string): void {
    if (productId === '') {
      this.options.onReconcileNeeded();
      return;
    }
    this.batch.push(productId);
    if (this.batch.length >= (this.options.batchMaxIds ?? 1_000)) this.flush();
    else this.batchTimer ??= setTimeout(() => this.flush(), this.options.batchWaitMs ?? 50);
  }

  /** Hands the batch over; batches are handled one after another, and a failed one falls back to a reconcile. */
  private flush(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (this.batch.length === 0) return;
    const ids = this.batch;
    this.batch = [];
    this.handling = this.handling.then(() =>
      this.options.onProducts(ids).catch((error: unknown) => {
        this.options.logger.warn(
          { err: error, products: ids.length },
          'could not enqueue notified products; reconciling',
        );
        this.options.onReconcileNeeded();
      }),
    );
  }

  private setState(state: State, error?: unknown, channel?: string): void {
    if (state === this.state) return;
    const previous = this.state;
    this.state = state;
    const { logger } = this.options;
    if (state === 'leading') logger.info({ channel }, 'intake listener: leader, listening for product changes');
    else if (state === 'following') logger.info('intake listener: another listener leads; standing by');
    else if (state === 'disconnected')
      logger.warn(
        { err: error, was: previous },
        'intake listener: not listening (PostgreSQL unreachable, or the schema not migrated); retrying',
      );
    else if (state === 'stopped') logger.info('intake listener stopped');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
