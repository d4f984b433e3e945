// Entry point of the explorer (/explore): the analyst's workbench. Find an entity, read its
// exposure per dimension and the chains that carry risk to it, drawn as a graph; click a
// node or an edge for its facts and sources; move the date and watch the picture change;
// screen a supplier list. State lives in the URL (?entity=…&asOf=…&view=screen), so a view
// can be linked to.
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { riskDimensions } from 'riskgraph:schema';
import './explore.css';
import { ApiError, createClient } from './api.js';
import { exposureQuery, neighboursQuery, rulesQuery, searchQuery } from './queries.js';
import { addDays, formatDate, isDate, today, validity } from './dates.js';
import { Timeline, ruleMarks, sortMarks } from './timeline.jsx';
import { Graph, buildGraph, dimensionLabel, dimensionStyle, fmt, kindStyle } from './graph.jsx';
import { Details, KindBadge } from './details.jsx';
import { Screening } from './screening.jsx';
import { download } from './download.js';
import { toCSV } from './screen.js';

const neighbourPage = 12; // relationships added per "expand"
const maxNodes = 150; // the most entities the graph draws
const examples = [
  ['vendor:kaspersky-lab', 'Kaspersky Lab'],
  ['retailer:best-buy', 'Best Buy'],
  ['organization:us-department-of-state', 'US Department of State'],
];

function readURL() {
  const p = new URLSearchParams(window.location.search);
  const asOf = p.get('asOf');
  return {
    entity: p.get('entity') || '',
    asOf: isDate(asOf) ? asOf : today(),
    view: p.get('view') === 'screen' ? 'screen' : 'entity',
  };
}

function writeURL({ entity, asOf, view }, push) {
  const p = new URLSearchParams();
  if (view === 'screen') p.set('view', 'screen');
  if (entity) p.set('entity', entity);
  if (asOf !== today()) p.set('asOf', asOf);
  const url = `${window.location.pathname}${p.size ? `?${p}` : ''}`;
  if (url === `${window.location.pathname}${window.location.search}`) return;
  if (push) window.history.pushState(null, '', url);
  else window.history.replaceState(null, '', url);
}

// ---- the API key prompt -----------------------------------------------------------------

function KeyDialog({ ask, onAnswer }) {
  const dialog = useRef(null);
  const input = useRef(null);
  useEffect(() => {
    const d = dialog.current;
    if (ask && !d.open) {
      d.showModal();
      input.current.value = '';
      input.current.focus();
    }
    if (!ask && d.open) d.close();
  }, [ask]);
  return (
    <dialog ref={dialog} className="key-dialog" aria-labelledby="key-title" onCancel={() => onAnswer(null)}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onAnswer(input.current.value.trim() || null);
        }}
      >
        <h2 id="key-title">API key needed</h2>
        <p>
          {ask?.refused
            ? 'The server refused that key. Enter another one.'
            : 'This server asks for an API key. It is kept in this tab only (sessionStorage) and sent with each request.'}
        </p>
        <label htmlFor="api-key">API key</label>
        <input id="api-key" ref={input} type="password" autoComplete="off" spellCheck={false} placeholder="rgk_…" required />
        <div className="button-row">
          <button type="submit" className="primary">
            Use this key
          </button>
          <button type="button" onClick={() => onAnswer(null)}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

// ---- search -------------------------------------------------------------------------------

function SearchBox({ client, onPick }) {
  const [text, setText] = useState('');
  const [results, setResults] = useState([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [note, setNote] = useState('');
  const seq = useRef(0);

  useEffect(() => {
    const t = text.trim();
    if (t.length < 2) {
      setResults([]);
      setNote('');
      return undefined;
    }
    const n = ++seq.current;
    const timer = setTimeout(() => {
      client
        .request(searchQuery, { text: t })
        .then((d) => {
          if (n !== seq.current) return;
          setResults(d.search.edges.map((e) => e.node));
          setNote(d.search.edges.length ? '' : `Nothing found for “${t}”.`);
          setActive(d.search.edges.length ? 0 : -1);
          setOpen(true);
        })
        .catch((err) => n === seq.current && setNote(err.message));
    }, 180);
    return () => clearTimeout(timer);
  }, [text]);

  const pick = (e) => {
    // The chosen entity's name heads the page; the box is cleared for the next search.
    setOpen(false);
    setText('');
    setResults([]);
    setNote(`Showing ${e.name}.`);
    onPick(e.id);
  };
  const onKey = (ev) => {
    if (ev.key === 'ArrowDown') {
      ev.preventDefault();
      setOpen(true);
      setActive((a) => Math.min(results.length - 1, a + 1));
    } else if (ev.key === 'ArrowUp') {
      ev.preventDefault();
      setActive((a) => Math.max(0, a - 1));
    } else if (ev.key === 'Enter') {
      ev.preventDefault();
      const e = results[active] || results[0];
      if (e) pick(e);
    } else if (ev.key === 'Escape') {
      setOpen(false);
    }
  };
  const expanded = open && results.length > 0;
  return (
    <div className="search">
      <label htmlFor="search-input">Find an entity</label>
      <input
        id="search-input"
        type="search"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls="search-results"
        aria-activedescendant={expanded && active >= 0 ? `search-option-${active}` : undefined}
        value={text}
        maxLength={200}
        placeholder="a name, even misspelt: kasperski"
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKey}
        onFocus={() => results.length && setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
      />
      <ul id="search-results" role="listbox" aria-label="Matching entities" hidden={!expanded}>
        {results.map((e, i) => (
          <li
            key={e.id}
            id={`search-option-${i}`}
            role="option"
            aria-selected={i === active}
            className={i === active ? 'active' : ''}
            onMouseDown={(ev) => {
              ev.preventDefault();
              pick(e);
            }}
          >
            <span className="option-name">{e.name}</span> <KindBadge kind={e.kind} />
          </li>
        ))}
      </ul>
      <div className="muted search-note" aria-live="polite">
        {note}
      </div>
    </div>
  );
}

// ---- scores and chains --------------------------------------------------------------------

function Scores({ exposures, shown, onToggle, asOf }) {
  return (
    <div className="scores">
      <h3 className="visually-hidden">Exposure on {formatDate(asOf)}; tick a dimension to draw its chains</h3>
      <ul>
        {riskDimensions.map((d) => {
          const x = exposures[d];
          const id = `dim-${d}`;
          return (
            <li key={d} className="score-card" data-dimension={d}>
              <div className="score-top">
                <input id={id} type="checkbox" checked={shown.has(d)} onChange={() => onToggle(d)} />
                <label htmlFor={id}>
                  <span className="dim-swatch" style={{ background: dimensionStyle[d]?.color }} aria-hidden="true" />
                  {dimensionLabel(d)}
                  <span className="visually-hidden">: draw its chains</span>
                </label>
              </div>
              <div className="score-line">
                <span className="score-value" data-score={x?.score ?? ''}>
                  {x ? fmt(x.score) : '–'}
                </span>
                <span className="score-bar" aria-hidden="true">
                  <span style={{ width: `${Math.round((x?.score || 0) * 100)}%`, background: dimensionStyle[d]?.color }} />
                </span>
              </div>
              <span className="score-parts muted">
                {x && x.score > 0
                  ? `own ${fmt(x.intrinsic)} · carried in ${fmt(x.propagated)} · ${x.topPaths.length} chain${x.topPaths.length === 1 ? '' : 's'}`
                  : 'no exposure'}
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function Chains({ exposures, shown, onSelect }) {
  const rows = riskDimensions.filter((d) => shown.has(d) && exposures[d]?.topPaths.length);
  if (rows.length === 0) return <p className="muted">No risk reaches this entity through a chain in the dimensions shown.</p>;
  return (
    <div className="chain-groups">
      {rows.map((d) => (
        <section key={d} className="chain-group">
          <h3>
            <span className="dim-swatch" style={{ background: dimensionStyle[d]?.color }} aria-hidden="true" />
            {dimensionLabel(d)}
          </h3>
          <ol className="chains">
            {exposures[d].topPaths.map((p, i) => (
              <li key={i} className="chain" data-dimension={d}>
                <div className="chain-head">
                  strength <strong>{fmt(p.strength)}</strong> · adds {fmt(p.share)} · {p.hops} hop{p.hops === 1 ? '' : 's'} · from{' '}
                  <button type="button" className="link risk-source-link" onClick={() => onSelect('node', p.signal.entity.id)}>
                    ⚠ {p.signal.entity.name}
                  </button>
                </div>
                <div className="chain-steps">
                  {p.steps.map((s, j) => (
                    <React.Fragment key={s.relationshipId}>
                      {j === 0 && (
                        <button type="button" className="step-node" onClick={() => onSelect('node', s.from.id)}>
                          {s.from.name}
                        </button>
                      )}
                      <button
                        type="button"
                        className="step-edge"
                        onClick={() => onSelect('edge', s.relationshipId)}
                        title={`${validity(s.validFrom, s.validTo)}; confidence ${fmt(s.confidence)}`}
                      >
                        {s.flow === 'AGAINST' ? `←${s.type}← ` : `→${s.type}→ `}
                        {fmt(s.weight)}
                      </button>
                      <button type="button" className="step-node" onClick={() => onSelect('node', s.to.id)}>
                        {s.to.name}
                      </button>
                    </React.Fragment>
                  ))}
                </div>
                <details>
                  <summary>Why: the risk signal</summary>
                  <p>
                    {dimensionLabel(p.signal.dimension)} signal on {p.signal.entity.name}, severity {fmt(p.signal.severity)},{' '}
                    {validity(p.signal.validFrom, p.signal.validTo)}. {p.signal.reason}
                  </p>
                </details>
              </li>
            ))}
          </ol>
        </section>
      ))}
    </div>
  );
}

// chainsCSV lists the shown chains, one line per step.
function chainsCSV(entity, asOf, exposures, shown) {
  const lines = [[
    'entity_id', 'as_of', 'dimension', 'chain', 'strength', 'share', 'hops', 'signal_id', 'risk_source_id', 'risk_source_name',
    'step', 'relationship_id', 'type', 'flow', 'from_id', 'from_name', 'to_id', 'to_name', 'weight', 'confidence', 'valid_from', 'valid_to',
  ]];
  for (const d of riskDimensions) {
    if (!shown.has(d) || !exposures[d]) continue;
    exposures[d].topPaths.forEach((p, i) => {
      p.steps.forEach((s, j) => {
        lines.push([
          entity.id, asOf, d, i + 1, p.strength, p.share, p.hops, p.signal.id, p.signal.entity.id, p.signal.entity.name,
          j + 1, s.relationshipId, s.type, s.flow, s.from.id, s.from.name, s.to.id, s.to.name, s.weight, s.confidence,
          s.validFrom || '', s.validTo || '',
        ]);
      });
    });
  }
  return toCSV(lines);
}

function Legend({ nodes }) {
  const kinds = [...new Set(nodes.map((n) => n.kind))].sort();
  return (
    <div className="legend" aria-label="Legend">
      {kinds.map((k) => (
        <span key={k} className="legend-item">
          <span className="kind-swatch" style={{ background: kindStyle[k]?.color }} aria-hidden="true" /> {k}
        </span>
      ))}
      <span className="legend-item">
        <span className="legend-source" aria-hidden="true" /> ⚠ risk source
      </span>
      <span className="legend-item">
        <span className="legend-focus" aria-hidden="true" /> explained entity
      </span>
      <span className="legend-item">edge colour: dimension · dashed: neighbour · ↺ risk crosses it against its arrow</span>
    </div>
  );
}

// ---- the application ----------------------------------------------------------------------

function App() {
  const initial = useMemo(readURL, []);
  const [view, setView] = useState(initial.view);
  const [entityId, setEntityId] = useState(initial.entity);
  const [asOf, setAsOf] = useState(initial.asOf);
  const [keyAsk, setKeyAsk] = useState(null);
  const keyAnswer = useRef(null);
  const [reload, setReload] = useState(0);

  const client = useMemo(
    () =>
      createClient({
        askForKey: (refused) =>
          new Promise((resolve) => {
            keyAnswer.current = resolve;
            setKeyAsk({ refused });
          }),
      }),
    [],
  );
  const answerKey = (key) => {
    setKeyAsk(null);
    keyAnswer.current?.(key);
    keyAnswer.current = null;
  };

  // The rules' dates, for the slider's marks.
  const [rules, setRules] = useState([]);
  useEffect(() => {
    client
      .request(rulesQuery)
      .then((d) => setRules([...d.directives.edges, ...d.laws.edges].map((e) => e.node)))
      .catch(() => setRules([]));
  }, [reload]);

  // The entity's exposure on the date.
  const [data, setData] = useState({ loading: false, error: null, entity: null, exposures: {} });
  const [shown, setShown] = useState(() => new Set(riskDimensions));
  useEffect(() => {
    if (!entityId) {
      setData({ loading: false, error: null, entity: null, exposures: {} });
      return undefined;
    }
    let live = true;
    setData((d) => ({ ...d, loading: true, error: null }));
    client
      .request(exposureQuery(riskDimensions), { id: entityId, asOf })
      .then((d) => {
        if (!live) return;
        const exposures = {};
        for (const dim of riskDimensions) exposures[dim] = d[dim];
        setData({ loading: false, error: null, entity: d.entity, exposures });
      })
      .catch((err) => {
        if (!live) return;
        const msg =
          err instanceof ApiError && err.has('NOT_FOUND')
            ? `${entityId} does not exist on ${formatDate(asOf)}. Move the date, or search for another entity.`
            : err.message;
        setData({ loading: false, error: msg, entity: null, exposures: {} });
      });
    return () => {
      live = false;
    };
  }, [entityId, asOf, reload]);

  // Neighbours expanded on demand: entity id → relationships read so far.
  const [neighbours, setNeighbours] = useState(new Map());
  const [expandNote, setExpandNote] = useState('');
  useEffect(() => {
    setNeighbours(new Map());
    setExpandNote('');
  }, [entityId]);

  const fetchNeighbours = useCallback(
    async (id, first, after) => {
      const d = await client.request(neighboursQuery, { id, asOf, first, after: after || null });
      const page = d.entity.relationships;
      return { rels: page.edges.map((e) => e.node), endCursor: page.pageInfo.endCursor, hasNext: page.pageInfo.hasNextPage };
    },
    [asOf],
  );

  // On a new date, read again what had been expanded, as many relationships as before.
  const lastAsOf = useRef(asOf);
  useEffect(() => {
    if (lastAsOf.current === asOf) return;
    lastAsOf.current = asOf;
    const ids = [...neighbours.keys()];
    if (ids.length === 0) return;
    Promise.all(
      ids.map((id) =>
        fetchNeighbours(id, Math.max(neighbourPage, neighbours.get(id).rels.length)).catch(() => ({ rels: [], hasNext: false })),
      ),
    ).then((pages) => setNeighbours(new Map(ids.map((id, i) => [id, pages[i]]))));
  }, [asOf]);

  const graph = useMemo(
    () =>
      buildGraph({
        entity: data.entity,
        exposures: data.exposures,
        shown,
        neighbours: [...neighbours.values()].flatMap((n) => n.rels),
      }),
    [data, shown, neighbours],
  );

  const [expanding, setExpanding] = useState('');
  const expand = async (id) => {
    const have = neighbours.get(id);
    if (have && !have.hasNext) return;
    if (graph.nodes.length >= maxNodes) {
      setExpandNote(`The graph already holds ${graph.nodes.length} entities, the most it draws. Explain one of them instead.`);
      return;
    }
    setExpanding(id);
    try {
      const page = await fetchNeighbours(id, neighbourPage, have?.endCursor);
      const next = new Map(neighbours);
      next.set(id, { rels: [...(have?.rels || []), ...page.rels], endCursor: page.endCursor, hasNext: page.hasNext });
      setNeighbours(next);
      setExpandNote(`${page.rels.length} relationship${page.rels.length === 1 ? '' : 's'} of ${id} added${page.hasNext ? '; expand again for more' : ''}.`);
    } catch (err) {
      setExpandNote(err.message);
    } finally {
      setExpanding('');
    }
  };

  // Marks on the slider: the rules' dates and the dates of the facts seen for this entity.
  const [factMarks, setFactMarks] = useState([]);
  useEffect(() => setFactMarks([]), [entityId]);
  useEffect(() => {
    const found = [];
    const add = (date, label) => date && found.push({ date, type: 'fact', label });
    for (const d of riskDimensions) {
      for (const p of data.exposures[d]?.topPaths || []) {
        add(p.signal.validFrom, `${dimensionLabel(d)} signal on ${p.signal.entity.name} starts`);
        add(p.signal.validTo, `${dimensionLabel(d)} signal on ${p.signal.entity.name} ends`);
        for (const s of p.steps) {
          const [a, b] = s.flow === 'AGAINST' ? [s.to, s.from] : [s.from, s.to];
          add(s.validFrom, `${a.name} ${s.type} ${b.name} starts`);
          add(s.validTo, `${a.name} ${s.type} ${b.name} ends`);
        }
      }
    }
    if (found.length) setFactMarks((m) => sortMarks([...m, ...found]));
  }, [data]);

  const marks = useMemo(() => sortMarks([...ruleMarks(rules), ...factMarks]), [rules, factMarks]);
  const [sliderMin, sliderMax] = useMemo(() => {
    const dues = rules.flatMap((r) => r.obligations.map((o) => o.due)).sort();
    const first = dues[0] || addDays(today(), -3650);
    return [`${Number(first.slice(0, 4)) - 1}-01-01`, today()];
  }, [rules]);

  // Selection and its history (for "back" after opening a source).
  const [selection, setSelection] = useState(null);
  const [trail, setTrail] = useState([]);
  useEffect(() => {
    setSelection(null);
    setTrail([]);
  }, [entityId]);
  const select = (type, id) => {
    if (!type) {
      setSelection(null);
      return;
    }
    if (selection) setTrail((t) => [...t, selection]);
    setSelection({ type, id });
  };
  const back = () => {
    setSelection(trail[trail.length - 1] || null);
    setTrail((t) => t.slice(0, -1));
  };

  // URL state.
  const lastEntity = useRef(entityId);
  useEffect(() => {
    writeURL({ entity: entityId, asOf, view }, lastEntity.current !== entityId);
    lastEntity.current = entityId;
  }, [entityId, asOf, view]);
  useEffect(() => {
    const onPop = () => {
      const u = readURL();
      lastEntity.current = u.entity;
      setEntityId(u.entity);
      setAsOf(u.asOf);
      setView(u.view);
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const cyRef = useRef(null);
  useEffect(() => {
    window.riskgraphExplorer = { get cy() { return cyRef.current; } }; // for the browser tests and the console
  }, []);

  const focus = (id) => {
    setView('entity');
    setEntityId(id);
  };
  const toggle = (d) => {
    const next = new Set(shown);
    if (next.has(d)) next.delete(d);
    else next.add(d);
    setShown(next);
  };
  const exportPNG = () => {
    const blob = cyRef.current.png({ full: true, scale: 2, bg: '#ffffff', output: 'blob' });
    download(`riskgraph-${entityId}-${asOf}.png`, blob);
  };
  const selectedEdge = selection?.type === 'edge' ? graph.edges.find((e) => e.id === selection.id) : null;
  const expandState = (id) => (expanding === id ? 'loading' : neighbours.has(id) ? (neighbours.get(id).hasNext ? 'more' : 'done') : '');
  const e = data.entity;

  return (
    <>
      <header className="topbar">
        <h1>riskgraph explorer</h1>
        <SearchBox client={client} onPick={focus} />
        <div role="tablist" aria-label="Views" className="tabs">
          <button type="button" role="tab" id="tab-entity" aria-controls="panel-entity" aria-selected={view === 'entity'} onClick={() => setView('entity')}>
            Explore an entity
          </button>
          <button type="button" role="tab" id="tab-screen" aria-controls="panel-screen" aria-selected={view === 'screen'} onClick={() => setView('screen')}>
            Screen a list
          </button>
        </div>
        <nav className="topbar-links" aria-label="Other pages">
          {client.hasKey() && (
            <button
              type="button"
              className="link"
              onClick={() => {
                client.forgetKey();
                setReload((n) => n + 1);
              }}
            >
              Forget API key
            </button>
          )}
          <a href="./">GraphQL playground</a>
        </nav>
      </header>

      <Timeline asOf={asOf} onChange={setAsOf} marks={marks} min={sliderMin} max={sliderMax} />

      <main>
        <section id="panel-entity" role="tabpanel" aria-labelledby="tab-entity" hidden={view !== 'entity'} className="entity-view">
          {!entityId && (
            <div className="welcome">
              <p>Search for a vendor, a product, a buyer or a rule in the box above. Or start with:</p>
              <ul>
                {examples.map(([id, name]) => (
                  <li key={id}>
                    <button type="button" className="link" onClick={() => focus(id)}>
                      {name}
                    </button>
                  </li>
                ))}
              </ul>
            </div>
          )}
          {data.error && (
            <p className="error" role="alert">
              {data.error}
              {data.error.includes('API key') && (
                <>
                  {' '}
                  <button type="button" onClick={() => setReload((n) => n + 1)}>
                    Try again
                  </button>
                </>
              )}
            </p>
          )}
          {e && (
            <section className="entity-head" aria-busy={data.loading} aria-labelledby="entity-title">
              <div className="entity-name">
                <h2 id="entity-title">{e.name}</h2>
                <p>
                  <KindBadge kind={e.kind} /> <span className="mono">{e.id}</span>
                  {data.loading && <span className="muted"> · updating…</span>}
                </p>
                {e.description && (
                  <p className="description" title={e.description}>
                    {e.description}
                  </p>
                )}
              </div>
              <Scores exposures={data.exposures} shown={shown} onToggle={toggle} asOf={asOf} />
            </section>
          )}
          <div className="entity-layout">
            <section className="graph-panel" aria-label="Exposure graph">
              <div className="graph-toolbar">
                <button type="button" onClick={() => cyRef.current?.fit(undefined, 30)} disabled={!e}>
                  Fit
                </button>
                <button type="button" onClick={exportPNG} disabled={!e}>
                  Export PNG
                </button>
                <button
                  type="button"
                  onClick={() => download(`riskgraph-chains-${entityId}-${asOf}.csv`, chainsCSV(e, asOf, data.exposures, shown), 'text/csv')}
                  disabled={!e}
                >
                  Export chains CSV
                </button>
                <span className="muted" aria-live="polite">
                  {expandNote}
                </span>
              </div>
              <Graph
                elements={graph.elements}
                selected={selection?.type !== 'source' ? selection?.id : null}
                onSelect={select}
                onExpand={expand}
                cyRef={cyRef}
                visible={view === 'entity'}
                label={e ? `Chains that carry risk to ${e.name} on ${formatDate(asOf)}; the same chains are listed below the graph` : 'No entity chosen'}
              />
              <Legend nodes={graph.nodes} />
              <details className="element-list">
                <summary>
                  Everything in the graph, as a list ({graph.nodes.length} entities, {graph.edges.length} relationships)
                </summary>
                <ul>
                  {graph.nodes.map((n) => (
                    <li key={n.id}>
                      <button type="button" className="link" onClick={() => select('node', n.id)}>
                        {n.sourceOf.size ? '⚠ ' : ''}
                        {n.name}
                      </button>{' '}
                      <span className="muted">{n.kind}</span>
                    </li>
                  ))}
                  {graph.edges.map((x) => (
                    <li key={x.id}>
                      <button type="button" className="link" onClick={() => select('edge', x.id)}>
                        {x.id}
                      </button>
                    </li>
                  ))}
                </ul>
              </details>
            </section>

            <aside className="details" aria-label="Facts" aria-live="polite">
              <Details
                client={client}
                selection={selection}
                asOf={asOf}
                edge={selectedEdge}
                onOpenSource={(id) => select('source', id)}
                onFocus={focus}
                onExpand={expand}
                expandState={selection ? expandState(selection.id) : ''}
                onBack={back}
                canGoBack={trail.length > 0}
              />
            </aside>
          </div>
          {e && (
            <section className="chains-panel" aria-labelledby="chains-title">
              <h2 id="chains-title">Chains that carry risk to {e.name}</h2>
              <Chains exposures={data.exposures} shown={shown} onSelect={select} />
            </section>
          )}
        </section>

        <section id="panel-screen" role="tabpanel" aria-labelledby="tab-screen" hidden={view !== 'screen'}>
          <Screening client={client} asOf={asOf} dimensions={riskDimensions} onOpenEntity={focus} />
        </section>
      </main>
      <KeyDialog ask={keyAsk} onAnswer={answerKey} />
    </>
  );
}

// Shown instead of the page when rendering fails, so that the analyst sees why.
class Crash extends React.Component {
  constructor(props) {
    super(props);
    this.state = { error: null };
  }
  static getDerivedStateFromError(error) {
    return { error };
  }
  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="boot" role="alert">
        <h1>The explorer stopped</h1>
        <p className="error">{String(this.state.error.message || this.state.error)}</p>
        <p>
          <a href={window.location.href}>Reload the page</a>
        </p>
      </div>
    );
  }
}

createRoot(document.getElementById('explore')).render(
  <Crash>
    <App />
  </Crash>,
);
