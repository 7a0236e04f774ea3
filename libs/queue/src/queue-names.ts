/** The queue every embedding job goes through; workers consume it. */
export const EMBED_QUEUE = 'embed';

/** Jobs that exhausted their attempts or failed permanently; never processed, kept until purged. */
export const DEAD_LETTER_QUEUE = 'embed-dead-letter';

/**
 * The default key prefix. The braces are a Redis Cluster hash tag: every BullMQ key of both queues
 * hashes to one slot, which BullMQ's multi-key Lua scripts require on a cluster.
 */
export const DEFAULT_QUEUE_PREFIX = '{vectorizer}';
