// What the search and duplicates pages share (loaded before each page's own script).
'use strict';

/** Shows `text` in the page's status line (#status), marked as an error when `isError`. */
function setStatus(text, isError = false) {
  const line = document.getElementById('status');
  line.textContent = text;
  line.classList.toggle('error', isError);
}

/** A product's picture, loaded lazily, its title (or id) as the alternative text. */
function productImage(product) {
  const image = document.createElement('img');
  image.src = product.imageUrl;
  image.alt = product.title || product.productId;
  image.loading = 'lazy';
  return image;
}

/**
 * Runs a fetch, reports a network failure or the
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
