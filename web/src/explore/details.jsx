// The facts panel: what the selected node or edge says, on the date shown, with its
// validity and its sources (publisher, date, excerpt). A source's name opens the source.
import React, { useEffect, useState } from 'react';
import { entityDetailsQuery, relationshipDetailsQuery } from './queries.js';
import { formatDate, validity } from './dates.js';
import { dimensionLabel, fmt, kindStyle } from './graph.jsx';

export function KindBadge({ kind }) {
  const k = kindStyle[kind];
  return (
    <span className="kind-badge">
      <span className="kind-swatch" style={{ background: k?.color || '#bbb' }} aria-hidden="true" />
      {kind}
    </span>
  );
}

const attr = (entity, key) => entity?.attributes?.find((a) => a.key === key)?.value;

function Citations({ sources, onOpenSource }) {
  if (!sources || sources.length === 0) return <p className="muted">No source recorded.</p>;
  return (
    <ul className="citations">
      {sources.map((c, i) => (
        <li key={`${c.sourceId}-${i}`} className={c.stance === 'DISPUTES' ? 'citation disputes' : 'citation'}>
          <div className="citation-head">
            <button type="button" className="link" onClick={() => onOpenSource(c.sourceId)}>
              {c.source?.name || c.sourceId}
            </button>
            {c.stance === 'DISPUTES' && <span className="badge badge-disputes">disputes</span>}
          </div>
          <div className="citation-meta">
            {attr(c.source, 'publisher') || 'publisher not recorded'} · {c.published ? formatDate(c.published) : 'date unknown'}
            {!c.source && ' · published after the date shown'}
          </div>
          <blockquote>{c.excerpt}</blockquote>
        </li>
      ))}
    </ul>
  );
}

// Details shows the selection; edge holds what the graph knows of a selected edge (its
// weights per dimension) besides what the API says.
export function Details({ client, selection, asOf, edge, onOpenSource, onFocus, onExpand, expandState, onBack, canGoBack }) {
  // The answer is kept with what it answers for, so that a new selection never renders
  // with the previous one's facts.
  const key = selection ? `${selection.type}|${selection.id}|${asOf}` : '';
  const [state, setState] = useState({ key: '', data: null, error: null });
  useEffect(() => {
    if (!selection) return undefined;
    let live = true;
    const isEdge = selection.type === 'edge';
    client
      .request(isEdge ? relationshipDetailsQuery : entityDetailsQuery, { id: selection.id, asOf })
      .then((data) => live && setState({ key, data, error: null }))
      .catch((err) => live && setState({ key, data: null, error: err.message }));
    return () => {
      live = false;
    };
  }, [key]);

  if (!selection) {
    return (
      <div className="details-empty">
        <h2>Facts</h2>
        <p>Select a node or an edge in the graph, or a step of a chain, to see its facts, their validity and their sources.</p>
        <p>Double-click a node, or use “Expand neighbours”, to add what it is linked to.</p>
      </div>
    );
  }
  const back = canGoBack && (
    <button type="button" className="link back" onClick={onBack}>
      ← back
    </button>
  );
  if (state.key !== key) {
    return (
      <div aria-busy="true">
        {back}
        <p>Loading facts…</p>
      </div>
    );
  }
  if (state.error) {
    return (
      <div>
        {back}
        <p className="error" role="alert">
          {state.error}
        </p>
      </div>
    );
  }
  if (!state.data) return null;

  if (selection.type === 'edge') {
    const r = state.data.relationship;
    return (
      <article className="facts" aria-labelledby="facts-title">
        {back}
        <h2 id="facts-title">
          {r.from.name} <span className="rel-type">—{r.type}→</span> {r.to.name}
        </h2>
        <dl className="facts-list">
          <dt>Relationship</dt>
          <dd className="mono">{r.id}</dd>
          <dt>Valid</dt>
          <dd>{validity(r.validFrom, r.validTo)}</dd>
          <dt>Confidence</dt>
          <dd>
            {fmt(r.confidence)}
            {r.inferred ? ' · inferred, not stated by a source' : ' · stated'}
          </dd>
          {r.share != null && (
            <>
              <dt>Share</dt>
              <dd>{r.share}%</dd>
            </>
          )}
          {r.note && (
            <>
              <dt>Note</dt>
              <dd>{r.note}</dd>
            </>
          )}
          {edge && Object.keys(edge.weights).length > 0 && (
            <>
              <dt>Carries risk</dt>
              <dd>
                {edge.flow === 'AGAINST' ? 'against its direction (from its end to its start)' : 'along its direction'}, weight{' '}
                {Object.entries(edge.weights)
                  .map(([d, w]) => `${fmt(w)} (${dimensionLabel(d)})`)
                  .join(', ')}
              </dd>
            </>
          )}
        </dl>
        <h3>Sources</h3>
        <Citations sources={r.sources} onOpenSource={onOpenSource} />
      </article>
    );
  }

  const e = state.data.entity;
  return (
    <article className="facts" aria-labelledby="facts-title">
      {back}
      <h2 id="facts-title">{e.name}</h2>
      <p>
        <KindBadge kind={e.kind} /> <span className="mono">{e.id}</span>
      </p>
      {e.description && <p>{e.description}</p>}
      <dl className="facts-list">
        <dt>Valid</dt>
        <dd>{validity(e.validFrom, e.validTo)}</dd>
        {e.aliases.length > 0 && (
          <>
            <dt>Also known as</dt>
            <dd>{e.aliases.join('; ')}</dd>
          </>
        )}
        {e.attributes.map((a) => (
          <React.Fragment key={a.key}>
            <dt>{a.key}</dt>
            <dd>{a.value}</dd>
          </React.Fragment>
        ))}
      </dl>
      {e.kind !== 'Source' && (
        <div className="button-row">
          <button type="button" onClick={() => onFocus(e.id)}>
            Explain {e.name}
          </button>
          <button type="button" onClick={() => onExpand(e.id)} disabled={expandState === 'done' || expandState === 'loading'}>
            {expandState === 'loading' ? 'Expanding…' : expandState === 'more' ? 'Expand more neighbours' : expandState === 'done' ? 'All neighbours shown' : 'Expand neighbours'}
          </button>
        </div>
      )}
      {e.signals.length > 0 && (
        <>
          <h3>Risk signals on it</h3>
          <ul className="signals">
            {e.signals.map((s) => (
              <li key={s.id}>
                <strong>{dimensionLabel(s.dimension)}</strong>, severity {fmt(s.severity)} · {validity(s.validFrom, s.validTo)}
                <p>{s.reason}</p>
                <Citations sources={s.sources} onOpenSource={onOpenSource} />
              </li>
            ))}
          </ul>
        </>
      )}
      {e.obligations.length > 0 && (
        <>
          <h3>Obligations</h3>
          <ul className="obligations">
            {e.obligations.map((o) => (
              <li key={o.id}>
                {o.title}: due {formatDate(o.due)} · <span className={`status status-${o.status}`}>{o.status.replaceAll('_', ' ').toLowerCase()}</span>
                {o.status !== 'NOT_IN_FORCE' && ` (${o.daysUntilDue >= 0 ? `${o.daysUntilDue} days left` : `${-o.daysUntilDue} days ago`})`}
              </li>
            ))}
          </ul>
        </>
      )}
      {e.kind !== 'Source' && (
        <>
          <h3>Sources</h3>
          <Citations sources={e.sources} onOpenSource={onOpenSource} />
        </>
      )}
    </article>
  );
}
