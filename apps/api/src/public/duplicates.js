// The duplicates page: plain browser JavaScript, no build step. Every value from the server is put in
// the page with textContent / attributes, never as HTML.
'use strict';

const choiceLine = document.getElementById('choice');
const groupList = document.getElementById('groups');

const f4 = (value) => Number(value).toFixed(4);

function describeChoice(body) {
  const choice = body.choice;
  if (!choice) return `Threshold ${f4(body.threshold)} (given).`;
  const d = choice.distribution;
  const how = choice.gap
    ? `the middle of the widest gap at or above the median nearest-neighbour similarity (${f4(choice.gap.below)} to ${f4(choice.gap.above)})`
    : 'no gap in the distribution: identical pictures only';
  return (
    `Threshold ${f4(body.threshold)}, chosen automatically: ${how}. ` +
    `Nearest-neighbour similarity over ${d.count} products: min ${f4(d.min)}, median ${f4(d.median)}, ` +
    `p95 ${f4(d.p95)}, max ${f4(d.max)}.`
  );
}

function renderGroup(group, index) {
  const item = document.createElement('li');
  item.className = 'group';
  const heading = document.createElement('h2');
  heading.textContent = `Group ${index + 1}: ${group.products.length} products, similarity ${f4(group.minScore)}–${f4(group.maxScore)}`;
  const members = document.createElement('ul');
  members.className = 'members';
  for (const product of group.products) {
    const member = document.createElement('li');
    member.dataset.productId = product.productId;
    const image = productImage(product);
    const caption = document.createElement('span');
    caption.className = 'caption';
    caption.textContent = product.title || product.productId;
    caption.title = product.productId;
    member.append(image, caption);
    members.append(member);
  }
  item.append(heading, members);
  return item;
}

async function load(threshold) {
  setStatus('Looking for duplicates…');
  const query = threshold ? `?threshold=${encodeURIComponent(threshold)}` : '';
  const body = await requestJson(() => fetch(`/api/duplicates${query}`), setStatus, 'Request failed');
  if (!body) return;
  choiceLine.textContent = describeChoice(body);
  groupList.replaceChildren(...body.groups.map(renderGroup));
  const products = body.groups.reduce((sum, group) => sum + group.products.length, 0);
  // Products whose links the server has not computed yet are not in any group (new or changed pictures).
  const pending =
    body.pending > 0 ? `; ${body.pending} recently changed product(s) not compared yet, reload later` : '';
  setStatus(`${body.groups.length} group(s), ${products} products (model ${body.model})${pending}`);
}

document.getElementById('threshold-form').addEventListener('submit', (event) => {
  event.preventDefault();
  load(document.getElementById('threshold').value.trim());
});

load('');
