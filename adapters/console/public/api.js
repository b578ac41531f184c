// The console API: JSON requests and the live event stream, with the token
// (when the console has one) in headers: never in a cookie or a URL.

const TOKEN = 'healgate.token';
const NAME = 'healgate.name';

export const credentials = {
  get: () => ({ token: sessionStorage.getItem(TOKEN), name: sessionStorage.getItem(NAME) }),
  set(token, name) {
    sessionStorage.setItem(TOKEN, token);
    sessionStorage.setItem(NAME, name);
  },
  clear() {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(NAME);
  },
};

function headers(extra = {}) {
  const { token, name } = credentials.get();
  return {
    'x-healgate-console': '1',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(name ? { 'x-healgate-operator': name } : {}),
    ...extra,
  };
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function call(method, path, body) {
  const response = await fetch(`/console/api${path}`, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const api = {
  get: (path) => call('GET', path),
  post: (path, body) => call('POST', path, body ?? {}),
};

/**
 * Server-sent events over fetch (EventSource cannot send headers), resumed
 * after the last id on reconnect. `on(event, data, id)` for each event;
 * `status(connected)` when the connection comes and goes.
 */
export function openFeed(on, status) {
  let lastId;
  let stopped = false;
  let controller;

  async function connect() {
    controller = new AbortController();
    const response = await fetch('/console/api/events', {
      headers: headers(lastId ? { 'last-event-id': lastId } : {}),
      signal: controller.signal,
    });
    if (!response.ok || !response.body) throw new ApiError(response.status, await response.json().catch(() => ({})));
    status(true);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = { name: 'message', data: '', id: undefined };
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':');
          if (colon <= 0) continue;
          const field = line.slice(0, colon);
          const text = line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event.name = text;
          else if (field === 'data') event.data += text;
          else if (field === 'id') event.id = text;
        }
        if (!event.data) continue;
        if (event.id) lastId = event.id;
        on(event.name, JSON.parse(event.data), event.id);
      }
    }
  }

  (async () => {
    while (!stopped) {
      try {
        await connect();
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) {
          on('unauthorized', err.body);
          return;
        }
      }
      status(false);
      if (!stopped) await new Promise((r) => setTimeout(r, 2000));
    }
  })();
  return {
    stop() {
      stopped = true;
      controller?.abort();
    },
  };
}
