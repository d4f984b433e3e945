// The screening view: paste or upload a supplier list, screen it as of the date shown,
// read each row's best match, its exposure and strongest chain, and download the result
// as CSV or JSON (the same columns and shape as `riskgraph screen`).
import React, { useEffect, useId, useState } from 'react';
import { decodeList, readList, reportCSV, reportJSON, runScreening, topReason } from './screen.js';
import { partiesQuery } from './queries.js';
import { formatDate } from './dates.js';
import { dimensionStyle, fmt } from './graph.jsx';
import { download } from './download.js';

const sample = `name,country
Kaspersky Labs,RU
AO Kaspersky Lab,Russia
Best Buy,US
Office Depot Inc,US
Nobody Whatsoever Ltd,GB
`;

function Verdict({ verdict, error }) {
  if (!verdict) return <span className="verdict verdict-ERROR">not screened</span>;
  const text = { MATCH: 'match', AMBIGUOUS: 'ambiguous', NONE: 'no match' }[verdict] || verdict;
  return (
    <span className={`verdict verdict-${verdict}`} title={error || undefined}>
      {text}
    </span>
  );
}

export function Screening({ client, asOf, dimensions, onOpenEntity }) {
  const ids = useId();
  const [text, setText] = useState('');
  const [fileNote, setFileNote] = useState('');
  const [lossy, setLossy] = useState(false);
  const [organization, setOrganization] = useState('');
  const [parties, setParties] = useState([]);
  const [progress, setProgress] = useState('');
  const [running, setRunning] = useState(false);
  const [report, setReport] = useState(null);
  const [error, setError] = useState('');
  const [layout, setLayout] = useState('');

  useEffect(() => {
    client
      .request(partiesQuery)
      .then((d) => setParties([...d.organizations.edges, ...d.agencies.edges].map((e) => e.node)))
      .catch(() => setParties([])); // the list only helps typing; an id still works
  }, []);

  const onFile = async (event) => {
    const file = event.target.files?.[0];
    if (!file) return;
    setError('');
    try {
      const { text: t, lossy: l } = decodeList(await file.arrayBuffer());
      setText(t);
      setLossy(l);
      setFileNote(`${file.name}, ${file.size.toLocaleString('en')} bytes${l ? ' (not all UTF-8: such rows are reported as errors)' : ''}`);
    } catch (err) {
      setError(err.message);
    }
  };

  const run = async (event) => {
    event.preventDefault();
    setError('');
    setReport(null);
    let list;
    try {
      list = readList(text, { lossy });
    } catch (err) {
      setError(err.message);
      return;
    }
    if (list.rows.length === 0) {
      setError('The list has no rows: paste CSV with one supplier per line (name, country, optional id).');
      return;
    }
    setLayout(
      list.header
        ? `Header detected: ${list.header.map((h) => `“${h}”`).join(', ')}.`
        : 'No header: columns read as name, country, id.',
    );
    setRunning(true);
    setProgress(`Matching ${list.rows.length} rows…`);
    try {
      const rep = await runScreening(client, list.rows, {
        asOf,
        organization: organization.trim(),
        dimensions,
        onProgress: (done, total, step) =>
          setProgress(step === 'matched' ? `Matched ${done} of ${total} rows…` : `Reading exposure ${done} of ${total}…`),
      });
      setReport(rep);
      setProgress('');
    } catch (err) {
      setError(err.message);
      setProgress('');
    } finally {
      setRunning(false);
    }
  };

  const s = report?.summary;
  // Rules by a short name ("BOD 17-01"), for the compliance column.
  const ruleNames = new Map((report?.organization?.rules || []).map((r) => [r.id, r.name.split(':')[0]]));
  const unmatched = report?.results.filter((r) => r.verdict !== 'MATCH') || [];
  return (
    <section className="screening" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Screen a supplier list</h2>
      <form onSubmit={run} className="screen-form">
        <div className="screen-input">
          <label htmlFor={`${ids}-list`}>
            Supplier list (CSV: name, country, optional id; a header row is detected)
          </label>
          <textarea
            id={`${ids}-list`}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setLossy(false);
              setFileNote('');
            }}
            rows={8}
            spellCheck={false}
            placeholder={'name,country\nKaspersky Labs,RU\n…'}
          />
          <div className="button-row">
            <label className="file-label" htmlFor={`${ids}-file`}>
              Upload a CSV file
            </label>
            <input id={`${ids}-file`} type="file" accept=".csv,.tsv,.txt,text/csv,text/plain" onChange={onFile} />
            <button type="button" className="link" onClick={() => setText(sample)}>
              Use a sample list
            </button>
          </div>
          {fileNote && <p className="muted">{fileNote}</p>}
        </div>
        <div className="screen-options">
          <label htmlFor={`${ids}-org`}>Your organisation (optional: adds compliance with the rules that bind it)</label>
          <input
            id={`${ids}-org`}
            list={`${ids}-orgs`}
            value={organization}
            onChange={(e) => setOrganization(e.target.value)}
            placeholder="organization:us-department-of-state"
            spellCheck={false}
            autoComplete="off"
          />
          <datalist id={`${ids}-orgs`}>
            {parties.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </datalist>
          <p className="muted">Screened as of {formatDate(asOf)} (the date above).</p>
          <button type="submit" className="primary" disabled={running || !text.trim()}>
            {running ? 'Screening…' : 'Screen the list'}
          </button>
        </div>
      </form>
      <div aria-live="polite" className="status-line">
        {progress}
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {report && (
        <>
          <div className="screen-summary">
            <p>
              <strong>{s.rows}</strong> rows: <span className="verdict verdict-MATCH">{s.match} match</span>{' '}
              <span className="verdict verdict-AMBIGUOUS">{s.ambiguous} ambiguous</span>{' '}
              <span className="verdict verdict-NONE">{s.none} no match</span>{' '}
              <span className="verdict verdict-ERROR">{s.errors} with errors</span> · as of {formatDate(report.asOf)}
              {report.organization && ` · for ${report.organization.name}`}
            </p>
            <p className="muted">{layout}</p>
            <div className="button-row">
              <button type="button" onClick={() => download(`screening-${report.asOf}.csv`, reportCSV(report), 'text/csv')}>
                Download CSV
              </button>
              <button type="button" onClick={() => download(`screening-${report.asOf}.json`, reportJSON(report), 'application/json')}>
                Download JSON
              </button>
            </div>
            {unmatched.length > 0 && (
              <p>
                Not a clear match:{' '}
                {unmatched.map((r, i) => (
                  <React.Fragment key={r.row.line}>
                    {i > 0 && ', '}
                    line {r.row.line} “{r.row.name || r.row.id}” ({r.verdict ? r.verdict.toLowerCase() : 'error'})
                  </React.Fragment>
                ))}
                .
              </p>
            )}
            {report.organization && (
              <ul className="org-rules">
                {report.organization.rules.map((r) => (
                  <li key={r.id}>
                    {r.name}: <span className={`status status-${r.status}`}>{r.status.replaceAll('_', ' ').toLowerCase()}</span>
                    {!r.inForce && ' (not in force)'}
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Screening results">
            <table className="screen-table">
              <caption className="visually-hidden">One row per supplier of the list, in its order</caption>
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Supplier</th>
                  <th scope="col">Verdict</th>
                  <th scope="col">Best match</th>
                  <th scope="col">Score</th>
                  <th scope="col">Reason</th>
                  {report.dimensions.map((d) => (
                    <th scope="col" key={d} title={d}>
                      {dimensionStyle[d]?.short || d}
                    </th>
                  ))}
                  <th scope="col">Top path</th>
                  {report.organization && <th scope="col">Compliance</th>}
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {report.results.map((r) => {
                  const [best, second] = r.matches;
                  return (
                    <tr
                      key={r.row.line}
                      className={`row-${r.verdict || 'ERROR'}`}
                      data-line={r.row.line}
                      data-verdict={r.verdict}
                      data-match={best?.id || ''}
                    >
                      <td>{r.row.line}</td>
                      <td className="supplier-cell">
                        {r.row.name || <span className="muted">(no name)</span>}
                        {r.row.country && <span className="muted"> · {r.row.country}</span>}
                        {r.row.id && <div className="mono muted">{r.row.id}</div>}
                      </td>
                      <td>
                        <Verdict verdict={r.verdict} error={r.error} />
                      </td>
                      <td className="match-cell">
                        {best ? (
                          <>
                            <button type="button" className="link" onClick={() => onOpenEntity(best.id)}>
                              {best.name}
                            </button>
                            <div className="mono muted">{best.id}</div>
                            {r.verdict === 'AMBIGUOUS' && second && (
                              <div className="muted">
                                or{' '}
                                <button type="button" className="link" onClick={() => onOpenEntity(second.id)}>
                                  {second.name}
                                </button>{' '}
                                ({fmt(second.score)})
                              </div>
                            )}
                          </>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                      <td className="num">{best ? fmt(best.score) : ''}</td>
                      <td className="reason">{best ? topReason(best) : ''}</td>
                      {report.dimensions.map((d, i) => (
                        <td key={d} className="num">
                          {r.exposure[i] ? fmt(r.exposure[i].score) : ''}
                        </td>
                      ))}
                      <td className="path">
                        {r.topPath ? (
                          <>
                            <span className="muted">{dimensionStyle[r.topPath.dimension]?.short} {fmt(r.topPath.strength)}:</span> {r.topPath.text}
                          </>
                        ) : (
                          ''
                        )}
                      </td>
                      {report.organization && (
                        <td className="compliance-cell">
                          {r.compliance.map((c) => (
                            <div key={c.ruleId} title={c.ruleId} data-rule={c.ruleId}>
                              {ruleNames.get(c.ruleId) || c.ruleId}: {c.status.toLowerCase().replaceAll('_', ' ')}
                              {c.covers && <strong> · covers it</strong>}
                            </div>
                          ))}
                        </td>
                      )}
                      <td className="error-cell">{r.error}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
