// The page never sees a token: both cookies are HttpOnly and sent by the browser to same-origin
// requests. All this script does about sessions is refresh once when the access token has expired.
'use strict';

const $ = (id) => document.getElementById(id);
// 'unknown' until the first answer: a reload may still hold a live refresh cookie.
let session = 'unknown';
// One refresh at a time: calls failing together share it instead of each rotating the token.
let refreshing;

async function post(path, body) {
  return fetch(path, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function errorCode(response) {
  try {
    return (await response.clone().json()).error;
  } catch {
    return undefined;
  }
}

/** fetch for the API: on an expired (or, while logged in, missing) access token, refresh once and retry. */
async function api(path, init = {}) {
  const send = () => fetch(path, { ...init, headers: { 'content-type': 'application/json', ...init.headers } });
  const response = await send();
  if (response.status !== 401) return response;
  const code = await errorCode(response);
  if (code !== 'token_expired' && !(code === 'token_missing' && session !== 'out')) {
    showLogin();
    return response;
  }
  refreshing ??= post('/auth/refresh').then((answer) => answer.ok).finally(() => { refreshing = undefined; });
  if (!(await refreshing)) {
    showLogin(session === 'in' ? 'Your session has ended: please log in again.' : '');
    return response;
  }
  const retried = await send();
  if (retried.status === 401) showLogin('Your session has ended: please log in again.');
  return retried;
}

function say(text) {
  $('status').textContent = text;
}

function showLogin(message = '') {
  session = 'out';
  $('orders').hidden = true;
  $('login').hidden = false;
  say(message);
}

function renderOrders(orders) {
  const list = $('order-list');
  // textContent, never innerHTML: an order's text is data, not markup.
  list.replaceChildren(...orders.map((order) => {
    const entry = document.createElement('li');
    entry.textContent = order.item;
    return entry;
  }));
}

async function loadOrders() {
  const response = await api('/api/orders');
  if (!response.ok) return;
  session = 'in';
  renderOrders(await response.json());
  $('login').hidden = true;
  $('orders').hidden = false;
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await post('/auth/login', { username: form.get('username'), password: form.get('password') });
  if (!response.ok) {
    say(response.status === 401 ? 'Wrong username or password.' : `Login failed (${response.status}).`);
    return;
  }
  session = 'in';
  event.target.reset();
  say('');
  await loadOrders();
});

$('add-order').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await api('/api/orders', { method: 'POST', body: JSON.stringify({ item: form.get('item') }) });
  if (response.ok) {
    event.target.reset();
    say('');
    await loadOrders();
  } else if (session === 'in') {
    say(`Could not add the order (${response.status}).`);
  }
});

$('logout').addEventListener('click', async () => {
  await post('/auth/logout');
  renderOrders([]);
  showLogin('Logged out.');
});

void loadOrders();
