'use strict';

/**
 * Shared by the search and duplicates pages: runs a fetch, reports a network failure or the
 * server's error (code, message and hint from the error registry) through `setStatus`, and returns
 * the parsed body only when the request succeeded.
 */
async function requestJson(request, setStatus, failureLabel) {
  let response;
  try {
    response = await request();
  } catch (error) {
    setStatus(`${failureLabel}: ${error.message}`, true);
    return undefined;
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = body.error || {};
    setStatus(
      `${error.code || response.status}: ${error.message || response.statusText}${error.hint ? ` — ${error.hint}` : ''}`,
      true,
    );
    return undefined;
  }
  return body;
}
