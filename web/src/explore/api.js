// The explorer's GraphQL client: POSTs JSON to the endpoint the server wrote into
// <meta name="graphql-endpoint">, sends the API key when there is one, asks for a key when
// the server answers UNAUTHENTICATED, and waits out a 429 (LIMIT_EXCEEDED) before trying
// again. The key lives in sessionStorage only: it goes when the tab closes.

const keyStorage = 'riskgraph.apiKey';

export function endpoint() {
  const meta = document.querySelector('meta[name="graphql-endpoint"]');
  return (meta && meta.getAttribute('content')) || '/graphql';
}

export function storedKey() {
  try {
    return sessionStorage.getItem(keyStorage) || '';
  } catch {
    return ''; // storage may be off; then the key lasts as long as the page
  }
}

function storeKey(key) {
  try {
    if (key) sessionStorage.setItem(keyStorage, key);
    else sessionStorage.removeItem(keyStorage);
  } catch {
    // see storedKey
  }
}

/** An answer with GraphQL errors. data holds what did resolve (may be null). */
export class ApiError extends Error {
  constructor(errors, data, status) {
    super(errors.map((e) => e.message).join('; ') || `HTTP ${status}`);
    this.errors = errors;
    this.data = data ?? null;
    this.status = status;
  }
  /** Whether any error carries this extensions.code. */
  has(code) {
    return this.errors.some((e) => e.extensions?.code === code);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// createClient returns request(query, variables) → data. askForKey(refused) is called when
// the server wants a key; it resolves to the key typed in, or to null when the user gives up.
export function createClient({ url = endpoint(), askForKey }) {
  let key = storedKey();
  let asking = null; // one prompt shared by every request that needs the key

  async function obtainKey(refused) {
    if (!asking) {
      asking = Promise.resolve(askForKey(refused)).finally(() => {
        asking = null;
      });
    }
    const typed = await asking;
    if (typed) {
      key = typed;
      storeKey(typed);
    }
    return typed;
  }

  async function post(query, variables, signal) {
    const headers = { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' };
    if (key) headers.Authorization = `Bearer ${key}`;
    const res = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers,
      body: JSON.stringify({ query, variables }),
      signal,
    });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = { errors: [{ message: `HTTP ${res.status} ${res.statusText}: ${text.slice(0, 300)}` }] };
    }
    return { res, body };
  }

  async function request(query, variables = {}, { signal } = {}) {
    for (let attempt = 0; ; attempt++) {
      const { res, body } = await post(query, variables, signal);
      const errors = body.errors || [];
      const code = (c) => errors.some((e) => e.extensions?.code === c);
      if (code('UNAUTHENTICATED') && attempt < 5) {
        const refused = Boolean(key);
        key = '';
        storeKey('');
        if (await obtainKey(refused)) continue;
        throw new ApiError(errors, null, res.status);
      }
      if (res.status === 429 && attempt < 4) {
        const wait = Number(res.headers.get('Retry-After')) || 1;
        await sleep(Math.min(wait, 5) * 1000);
        continue;
      }
      if (errors.length > 0) throw new ApiError(errors, body.data, res.status);
      return body.data;
    }
  }

  return {
    request,
    hasKey: () => Boolean(key),
    forgetKey() {
      key = '';
      storeKey('');
    },
  };
}
