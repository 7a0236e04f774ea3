// The search page: plain browser JavaScript, no build step. Every value from the server is put in
// the page with textContent / attributes, never as HTML.
'use strict';

const results = document.getElementById('results');
const filterInput = document.getElementById('filter-input');

/** `&filter=…` for the attribute filter typed in, or '' (the server checks it and says what is wrong). */
function filterParam() {
  const filter = filterInput.value.trim();
  return filter === '' ? '' : `&filter=${encodeURIComponent(filter)}`;
}

async function runSearch(description, request) {
  setStatus(`Searching ${description}…`);
  const body = await requestJson(request, setStatus, 'Search failed');
  if (!body) return;
  render(body.results || []);
  // Which model's vectors ranked them: during a model switch the answer says which one it was.
  setStatus(`${body.results.length} result(s) ${description} — answered by ${body.model}`);
}

function render(hits) {
  results.replaceChildren(
    ...hits.map((hit) => {
      const item = document.createElement('li');
      item.className = 'result';
      item.dataset.productId = hit.productId;
      const button = document.createElement('button');
      button.type = 'button';
      button.title = `Find products similar to ${hit.title || hit.productId}`;
      const image = productImage(hit);
      const caption = document.createElement('span');
      caption.className = 'caption';
      const title = document.createElement('span');
      title.className = 'title';
      title.textContent = hit.title || hit.productId;
      const score = document.createElement('span');
      score.className = 'score';
      score.textContent = `score ${hit.score.toFixed(3)}`;
      caption.append(title, score);
      button.append(image, caption);
      button.addEventListener('click', () => searchSimilar(hit));
      item.append(button);
      return item;
    }),
  );
}

function searchSimilar(hit) {
  const label = `similar to “${hit.title || hit.productId}”`;
  return runSearch(label, () =>
    fetch(`/api/products/${encodeURIComponent(hit.productId)}/similar?k=24${filterParam()}`),
  );
}

document.getElementById('text-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const q = document.getElementById('text-query').value.trim();
  if (q === '') return;
  runSearch(`for “${q}”`, () => fetch(`/api/search/text?k=24&q=${encodeURIComponent(q)}${filterParam()}`));
});

document.getElementById('image-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const file = document.getElementById('image-file').files[0];
  if (!file) return;
  const form = new FormData();
  form.append('image', file);
  runSearch(`like ${file.name}`, () => fetch(`/api/search/image?k=24${filterParam()}`, { method: 'POST', body: form }));
});

// The generated dev model has random weights: say so before anyone reads meaning into its results.
fetch('/api/model')
  .then((response) => (response.ok ? response.json() : undefined))
  .then((model) => {
    if (!model || !model.devModel) return;
    const notice = document.getElementById('model-notice');
    notice.textContent = `Dev model (${model.id}): random weights, so these results mean nothing. Set MODEL_ID or MODEL_DIR to a real SigLIP model.`;
    notice.hidden = false;
  })
  .catch(() => undefined);
