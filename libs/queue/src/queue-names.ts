/**
 * The queue every embedding job goes through; workers consume it. Its failed set is also the home
 * of dead letters (see dead-letters.ts): there is no second queue.
 */
export const EMBED_QUEUE = 'embed';

/**
 * The default key prefix. The braces are a Redis Cluster hash tag: every BullMQ key of the queue
 * and the worker registry hashes to one slot, which multi-key Lua scripts require on a cluster.
 */
export const DEFAULT_QUEUE_PREFIX = '{vectorizer}';
