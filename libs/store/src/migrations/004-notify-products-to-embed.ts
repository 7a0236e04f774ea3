import type { Migration } from './migration';

/*
 * Postgres-driven intake: a product inserted, or given another image_url, by any loader (plain SQL
 * included) is announced on a channel that `vectorizer watch` (or the worker's leader) LISTENs on.
 *
 * Statement-level triggers with transition tables, not FOR EACH ROW: a bulk load of a million rows
 * costs one trigger call per statement, and a statement that changed more than 100 products sends
 * one empty notification ("many changed: reconcile") instead of a million (each would be queued in
 * Postgres' notification queue and read by the listener). The reconcile pass then tops the queue up
 * from the table itself. An UPDATE trigger cannot have both a column list and transition tables, so
 * "UPDATE OF image_url" is the join of old and new rows on a changed image_url.
 *
 * The channel is `vectorizer_products_<oid of this products table>`: one per schema, so tests and
 * several installations in one database never hear each other, and always a valid 63-byte name.
 * A product id of 7,900 bytes or more cannot ride in NOTIFY's 8,000-byte payload: it falls back to
 * the empty "reconcile" notification. NOTIFY is transactional: listeners hear it only after COMMIT.
 *
 * (updated_at, id) orders the reconcile loop's "oldest first" walk as an index range scan.
 */
export const notifyProductsToEmbed: Migration = {
  version: 4,
  name: 'notify_products_to_embed',
  sql: `
CREATE INDEX products_updated_at_id ON products (updated_at, id);

CREATE FUNCTION notify_products_to_embed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  channel text := 'vectorizer_products_' || TG_RELID::text;
  ids text[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(id) INTO ids FROM (SELECT id FROM changed_rows LIMIT 101) AS first_rows;
  ELSE
    SELECT array_agg(id) INTO ids FROM (
      SELECT n.id FROM changed_rows n JOIN previous_rows o ON o.id = n.id
       WHERE n.image_url IS DISTINCT FROM o.image_url
       LIMIT 101) AS first_rows;
  END IF;
  IF ids IS NULL THEN
    RETURN NULL;
  END IF;
  IF cardinality(ids) > 100 OR EXISTS (SELECT 1 FROM unnest(ids) AS id WHERE octet_length(id) >= 7900) THEN
    PERFORM pg_notify(channel, '');
  ELSE
    PERFORM pg_notify(channel, id) FROM unnest(ids) AS id;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER products_inserted_notify AFTER INSERT ON products
  REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION notify_products_to_embed();

CREATE TRIGGER products_image_changed_notify AFTER UPDATE ON products
  REFERENCING OLD TABLE AS previous_rows NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION notify_products_to_embed();
`,
};
