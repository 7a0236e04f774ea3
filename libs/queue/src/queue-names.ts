/**
 * The queue every embedding job goes through; workers consume it. Its failed set is also the home
 * of dead letters (see dead-letters.ts): there is no second queue.
 */
export const EMBED_QUEUE = 'embed';
