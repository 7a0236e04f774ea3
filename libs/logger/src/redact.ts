/**
 * Credentials never reach a log line or an error message. These work on plain text, not on parsed
 * URLs, because the values that most need it are the ones `new URL` rejects (a malformed
 * DATABASE_URL is echoed by the configuration error that reports it).
 */

const MASK = '***';

/**
 * `scheme://user:password@host`: the password runs to the last `@` before the end of the URL
 * (whitespace or a quote), so a password holding `@`, `/`, `#` or `:` is masked whole.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s"'`<>@:/]*):([^\s"'`<>]*)@/gi;

/** `password=...` in libpq key/value strings and query strings (`?password=`, `&sslpassword=`). */
const KEY_VALUE = /\b((?:ssl)?(?:password|passwd|pwd)=)('[^']*'|[^\s&;"'`]+)/gi;

/** `text` with every URL password and `password=` value replaced by ***. */
export function redactCredentials(text: string): string {
  return text
    .replace(URL_USERINFO, (_match, scheme: string, user: string) => `${scheme}${user}:${MASK}@`)
    .replace(KEY_VALUE, (_match, key: string) => `${key}${MASK}`);
}

/** A connection URL fit for a message: the password masked, even when the URL cannot be parsed. */
export function redactUrl(url: string): string {
  return redactCredentials(url);
}
