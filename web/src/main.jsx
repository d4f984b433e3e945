// Entry point of the playground bundle: mounts GraphiQL, talking to the endpoint that
// the Go server writes into <meta name="graphql-endpoint"> when it serves index.html.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { DOC_EXPLORER_PLUGIN, usePluginContext } from '@graphiql/react';
import { Kind, parse } from 'graphql';
import 'graphiql/graphiql.css';
import './app.css';
import { examples } from './examples.js';

function endpoint() {
  const meta = document.querySelector('meta[name="graphql-endpoint"]');
  const value = meta && meta.getAttribute('content');
  return value || '/graphql';
}

// withCurrentOperationName fixes a stale operation name. GraphiQL 3 learns the name of the
// edited operation 100 ms after the last change, so a query pasted or a tab switched just
// before Run goes out with the previous name and the server rejects it. When the document
// has exactly one operation and none of that name, that operation is the one meant.
function withCurrentOperationName(params) {
  if (!params.operationName || typeof params.query !== 'string') return params;
  let doc;
  try {
    doc = parse(params.query);
  } catch {
    return params; // the server reports the syntax error
  }
  const ops = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (ops.length !== 1 || ops.some((op) => op.name?.value === params.operationName)) return params;
  return { ...params, operationName: ops[0].name?.value ?? null };
}

// How responses are shown: scores rounded to 4 decimals unless the header's "exact numbers"
// box is ticked. The API itself always answers with full precision.
const display = { exact: false };

// roundScores returns the response with every non-integer number rounded to 4 decimals:
// scores, strengths, weights and confidences read better as 0.9328 than 0.932827648.
function roundScores(value) {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Number(value.toFixed(4));
  if (Array.isArray(value)) return value.map(roundScores);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = roundScores(v);
    return out;
  }
  return value;
}

// makeFetcher returns a GraphiQL fetcher that POSTs each operation as JSON. A reply that
// is not JSON (a proxy error page, a 413 from the body limit) is turned into a GraphQL
// error so that the result pane shows what went wrong.
function makeFetcher(url) {
  return async (params, options) => {
    const res = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/graphql-response+json, application/json',
        ...(options && options.headers),
      },
      body: JSON.stringify(withCurrentOperationName(params)),
    });
    const text = await res.text();
    try {
      const body = JSON.parse(text);
      return display.exact ? body : roundScores(body);
    } catch {
      return {
        errors: [{ message: `HTTP ${res.status} ${res.statusText}: ${text.slice(0, 500)}` }],
      };
    }
  };
}

const defaultTabs = examples.map((e) => ({ query: e.query }));

// Header is the small title in GraphiQL's top-right corner, with a link that opens the
// docs panel: the schema's descriptions are the analysts' manual. The link presses the
// sidebar's own docs button, because only GraphiQL's handler also unfolds the side pane.
function Header() {
  const plugins = usePluginContext();
  const docsOpen = plugins?.visiblePlugin === DOC_EXPLORER_PLUGIN;
  const toggleDocs = (event) => {
    event.preventDefault();
    const index = plugins?.plugins.indexOf(DOC_EXPLORER_PLUGIN) ?? -1;
    const button = event.currentTarget
      .closest('.graphiql-container')
      ?.querySelector(`.graphiql-sidebar button[data-index="${index}"]`);
    if (button) button.click();
    else plugins?.setVisiblePlugin(docsOpen ? null : DOC_EXPLORER_PLUGIN);
  };
  return (
    <span className="riskgraph-header">
      <span className="riskgraph-title">riskgraph playground</span>
      <a href="#docs" className="riskgraph-docs-link" onClick={toggleDocs} aria-pressed={docsOpen}>
        {docsOpen ? 'hide docs' : 'docs'}
      </a>
      <a href="explore" className="riskgraph-explore-link">
        explorer
      </a>
      <label className="riskgraph-exact" title="Responses show scores rounded to 4 decimals; tick to see them as the API sends them (from the next run)">
        <input type="checkbox" defaultChecked={display.exact} onChange={(e) => (display.exact = e.target.checked)} /> exact numbers
      </label>
    </span>
  );
}

createRoot(document.getElementById('graphiql')).render(
  <GraphiQL
    fetcher={makeFetcher(endpoint())}
    defaultTabs={defaultTabs}
    defaultEditorToolsVisibility={false}
    shouldPersistHeaders={false}
  >
    <GraphiQL.Logo>
      <Header />
    </GraphiQL.Logo>
  </GraphiQL>,
);
