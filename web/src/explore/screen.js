// Screening in the browser: the same steps, columns and JSON shape as `riskgraph screen`
// (internal/screen), done through the GraphQL API. A list is read (CSV, header detected),
// every row is matched, the rows that MATCH get their exposure per dimension and their
// strongest chain, and, when an organisation is given, its standing with each rule that
// binds it. Every row of the list is reported, in order, whatever it matched.
import { entityKinds } from 'riskgraph:schema';
import {
  matchQuery,
  organizationRulesQuery,
  ruleStatusQuery,
  screenExposureQuery,
} from './queries.js';
import { ApiError } from './api.js';

// Limits the server applies to one candidate (internal/store): checked per row here, so
// that one bad row does not fail the whole batch.
const maxCellBytes = 200;
const maxNames = 20;
const batchSize = 100; // candidates in one match request: the most the API takes

// Header spellings of each column, folded by headerKey (internal/screen columnNames).
const columnNames = {
  name: ['name', 'names', 'supplier', 'suppliername', 'supplierlegalname', 'vendor', 'vendorname', 'company',
    'companyname', 'entity', 'entityname', 'organization', 'organisation', 'organizationname', 'organisationname',
    'party', 'partyname', 'counterparty', 'legalname', 'businessname', 'tradingname',
    'nom', 'fournisseur', 'raisonsociale', 'nombre', 'proveedor', 'razonsocial', 'lieferant', 'firma', 'firmenname'],
  country: ['country', 'countries', 'countrycode', 'countryname', 'iso', 'isocode', 'nation', 'jurisdiction',
    'hqcountry', 'countryofincorporation', 'land', 'pays', 'pais'],
  id: ['id', 'entityid', 'riskgraphid'],
  aliases: ['aliases', 'alias', 'aka', 'alsoknownas', 'othernames', 'tradenames'],
  kind: ['kind', 'type', 'entitytype', 'entitykind'],
};

// headerKey folds a header cell: "Supplier Name", "supplier_name" → "suppliername", "País" → "pais".
const headerKey = (s) => s.normalize('NFKD').replace(/[^\p{L}\p{Nd}]/gu, '').toLowerCase();

function columnOf(cell) {
  const key = headerKey(cell);
  return Object.keys(columnNames).find((col) => columnNames[col].includes(key)) || '';
}

// decodeList turns the bytes of an uploaded file into text. UTF-16 is refused (as the CLI
// does); bytes that are not UTF-8 become U+FFFD and the rows holding them are flagged.
export function decodeList(bytes) {
  const b = new Uint8Array(bytes);
  if ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff)) {
    throw new Error('the list is in UTF-16: save it as CSV in UTF-8');
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(b), lossy: false };
  } catch {
    return { text: new TextDecoder('utf-8').decode(b), lossy: true };
  }
}

// sniffComma picks the separator from the first line: a comma, unless the line has none
// but has semicolons or tabs.
function sniffComma(text) {
  let first = text.slice(0, 64 << 10);
  const nl = first.indexOf('\n');
  if (nl >= 0) first = first.slice(0, nl);
  const semis = first.split(';').length - 1;
  const tabs = first.split('\t').length - 1;
  if (first.includes(',')) return ',';
  if (semis > 0 && semis >= tabs) return ';';
  if (tabs > 0) return '\t';
  return ',';
}

// parseCSV splits text into records with the line each starts on. Quoted fields may hold
// separators, doubled quotes and line breaks; a stray quote is kept as it is; blank lines
// are skipped (Go's encoding/csv with LazyQuotes).
export function parseCSV(text, comma) {
  const records = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    if (text[i] === '\n') {
      i++;
      line++;
      continue;
    }
    if (text[i] === '\r' && text[i + 1] === '\n') {
      i += 2;
      line++;
      continue;
    }
    const start = line;
    const fields = [];
    let done = false;
    while (!done) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) {
            done = true;
            break;
          }
          const c = text[i];
          if (c === '"') {
            const d = text[i + 1];
            if (d === '"') {
              field += '"';
              i += 2;
            } else if (d === comma) {
              i += 2;
              break;
            } else if (d === undefined) {
              i++;
              done = true;
              break;
            } else if (d === '\n' || (d === '\r' && text[i + 2] === '\n')) {
              i += d === '\n' ? 2 : 3;
              line++;
              done = true;
              break;
            } else {
              field += '"'; // a stray quote inside a quoted field
              i++;
            }
            continue;
          }
          if (c === '\r' && text[i + 1] === '\n') {
            i++;
            continue;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
      } else {
        let j = i;
        while (j < n && text[j] !== comma && text[j] !== '\n') j++;
        field = text.slice(i, j);
        if (j >= n || text[j] === '\n') {
          if (j < n) line++;
          done = true;
          if (field.endsWith('\r')) field = field.slice(0, -1);
        }
        i = j + 1;
      }
      fields.push(field);
    }
    records.push({ line: start, fields });
  }
  return records;
}

function parseKind(s) {
  return entityKinds.find((k) => k.toLowerCase() === s.toLowerCase()) || '';
}

const kindPrefixes = entityKinds.map((k) => `${k.toLowerCase()}:`);

// entityIdProblem says why id is not "<kind>:<slug>", or ''.
export function entityIdProblem(id) {
  const prefix = kindPrefixes.find((p) => id.startsWith(p));
  if (!prefix) {
    return `id "${id}" must look like "vendor:kaspersky-lab": a kind prefix (${kindPrefixes.join(' ')}) then a lowercase slug`;
  }
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(id.slice(prefix.length))) {
    return `id "${id}": the part after "${prefix}" must be a lowercase slug of letters, digits, '.', '_' or '-'`;
  }
  return '';
}

const bytesOf = (s) => new TextEncoder().encode(s).length;

function rowProblem(row, lossy) {
  const cells = [row.name, row.country, row.id, row.kind, ...row.aliases];
  if (lossy && cells.some((s) => s.includes('\uFFFD'))) {
    return 'the row is not valid UTF-8: save the list as CSV in UTF-8';
  }
  const long = cells.find((s) => bytesOf(s) > maxCellBytes);
  if (long !== undefined) return `a cell is ${bytesOf(long)} bytes long; the limit is ${maxCellBytes}`;
  if (!row.name && !row.id) return 'the row has no name';
  if (row.aliases.length >= maxNames) return `${row.aliases.length} aliases; the limit is ${maxNames - 1}`;
  if (row.id) {
    const p = entityIdProblem(row.id);
    if (p) return p;
  }
  if (row.kind && !parseKind(row.kind)) return `kind "${row.kind}": want one of ${entityKinds.join(', ')}`;
  return '';
}

// readList reads a supplier list. When the first record names the name column, or two
// columns, it is the header; otherwise the columns are name, country and id. Rows that
// cannot be screened carry error; the list fails only when it cannot be read at all.
export function readList(text, { lossy = false } = {}) {
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const comma = sniffComma(text);
  const records = parseCSV(text, comma);
  let cols = { name: 0, country: 1, id: 2 };
  let header = null;
  if (records.length > 0) {
    const found = {};
    records[0].fields.forEach((cell, i) => {
      const c = columnOf(cell);
      if (c && !(c in found)) found[c] = i;
    });
    if ('name' in found || Object.keys(found).length >= 2) {
      if (!('name' in found)) {
        throw new Error(
          `line ${records[0].line} looks like a header but names no name column (call it name, supplier, vendor or company)`,
        );
      }
      cols = found;
      header = records.shift().fields;
    }
  }
  const rows = records.map(({ line, fields }) => {
    const cell = (col) => (col in cols && cols[col] < fields.length ? fields[cols[col]].trim() : '');
    const seps = comma === ';' ? /\|/ : /[|;]/;
    const aliases = cell('aliases')
      .split(seps)
      .map((s) => s.trim())
      .filter(Boolean);
    const row = { line, name: cell('name'), country: cell('country'), id: cell('id'), aliases, kind: cell('kind') };
    row.error = rowProblem(row, lossy);
    return row;
  });
  return { rows, header, comma };
}

function candidate(row) {
  const c = { name: row.name || row.id };
  if (row.aliases.length) c.aliases = row.aliases;
  if (row.country) c.country = row.country;
  if (row.id) c.ids = [row.id];
  const kind = parseKind(row.kind);
  if (kind) c.kind = kind;
  return c;
}

// chainPath reads one chain (steps in the order risk flows, from the risk source to the
// entity) from the entity back to the source, as `riskgraph screen` writes it: each arrow
// points the way the relationship is written.
export function chainPath(dimension, contribution) {
  const steps = contribution.steps;
  const name = (e) => e.name || e.id;
  const p = { dimension, signalId: contribution.signal.id, strength: contribution.strength, text: '', ids: [], links: [] };
  for (let i = steps.length - 1; i >= 0; i--) {
    const l = steps[i];
    if (i === steps.length - 1) {
      p.ids.push(l.to.id);
      p.text = name(l.to);
    }
    let [from, to, arrow] = [l.from.id, l.to.id, ` ←${l.type}← `];
    if (l.flow === 'AGAINST') [from, to, arrow] = [l.to.id, l.from.id, ` →${l.type}→ `];
    p.text += arrow + name(l.from);
    p.ids.push(l.from.id);
    p.links.push({ relationshipId: l.relationshipId, type: l.type, from, to, weight: l.weight, confidence: l.confidence });
  }
  return p;
}

// topReason is the reason that weighs most (the first of equals), as "kind: detail".
export function topReason(match) {
  let best = null;
  for (const r of match.reasons) if (!best || r.weight > best.weight) best = r;
  if (!best) return '';
  return best.detail ? `${best.kind}: ${best.detail}` : best.kind;
}

async function readOrganization(client, id, asOf) {
  const problem = entityIdProblem(id);
  if (problem) throw new Error(`organization: ${problem}`);
  let data;
  try {
    data = await client.request(organizationRulesQuery, { id, asOf });
  } catch (err) {
    if (err instanceof ApiError && err.has('NOT_FOUND')) throw new Error(`organization ${id}: not found on ${asOf}`);
    throw err;
  }
  const e = data.entity;
  const org = { id: e.id, name: e.name, kind: e.kind, rules: [] };
  const ruleIds = [...new Set(e.relationships.edges.map((x) => x.node.fromId))].sort();
  for (const ruleId of ruleIds) {
    const { compliance: c, coverage } = await client.request(ruleStatusQuery, { id: ruleId, asOf });
    const party = c.parties.find((p) => p.party.id === id);
    if (!party) throw new Error(`compliance of ${id} with ${ruleId}: ${ruleId} binds it but does not list it as a party`);
    org.rules.push({
      id: ruleId,
      name: c.directive.name,
      kind: c.directive.kind,
      inForce: c.inForce,
      status: party.status,
      obligations: party.obligations.map((o) => ({ id: o.id, due: o.obligation.due, status: o.status })),
      covered: new Set(coverage.entities.map((x) => x.node.id)),
    });
  }
  return org;
}

// runScreening screens the rows as of asOf. onProgress(done, total) follows the rows.
export async function runScreening(client, rows, { asOf, organization, dimensions, onProgress, signal }) {
  const report = {
    asOf,
    knownAt: null,
    modelVersion: '',
    dimensions,
    organization: null,
    results: rows.map((row) => ({
      row,
      verdict: '',
      matches: [],
      exposure: [],
      topPath: null,
      compliance: [],
      error: row.error || '',
    })),
    summary: { rows: 0, match: 0, ambiguous: 0, none: 0, errors: 0 },
  };
  if (organization) report.organization = await readOrganization(client, organization, asOf);

  const total = rows.length;
  let done = 0;
  for (let start = 0; start < total; start += batchSize) {
    const batch = report.results.slice(start, start + batchSize).filter((r) => !r.error);
    const answers = await matchBatch(client, batch, asOf, signal);
    batch.forEach((r, j) => {
      const a = answers[j];
      if (a.error) {
        r.error = a.error;
        return;
      }
      r.verdict = a.verdict;
      r.matches = a.matches.map((m) => ({
        id: m.node.id,
        name: m.node.name,
        kind: m.node.kind,
        score: m.score,
        matchedName: m.matchedName,
        reasons: m.reasons,
      }));
    });
    done = Math.min(start + batchSize, total);
    onProgress?.(done, total, 'matched');
  }

  // Exposure of each distinct matched entity, read once, one request at a time: a request
  // for five dimensions takes every expensive-query slot the server has.
  const exposures = new Map();
  const matched = report.results.filter((r) => r.verdict === 'MATCH' && !r.error);
  let exposed = 0;
  for (const r of matched) {
    const id = r.matches[0].id;
    if (!exposures.has(id)) exposures.set(id, await readExposure(client, id, asOf, dimensions, signal));
    const e = exposures.get(id);
    if (e.modelVersion) report.modelVersion = e.modelVersion;
    if (e.error) r.error = e.error;
    else [r.exposure, r.topPath] = [e.exposure, e.topPath];
    onProgress?.(++exposed, matched.length, 'exposure');
  }

  for (const r of report.results) {
    if (report.organization && r.verdict) {
      r.compliance = report.organization.rules.map((rule) => ({
        ruleId: rule.id,
        status: rule.status,
        covers: r.verdict === 'MATCH' && rule.covered.has(r.matches[0].id),
      }));
    }
    const s = report.summary;
    s.rows++;
    if (r.verdict === 'MATCH') s.match++;
    if (r.verdict === 'AMBIGUOUS') s.ambiguous++;
    if (r.verdict === 'NONE') s.none++;
    if (r.error) s.errors++;
  }
  return report;
}

// matchBatch matches the rows of one batch. When the server refuses the batch (one
// candidate it will not take), the rows are matched one by one so that only that row fails.
async function matchBatch(client, batch, asOf, signal) {
  if (batch.length === 0) return [];
  const ask = (rows) => client.request(matchQuery, { candidates: rows.map((r) => candidate(r.row)), asOf }, { signal });
  try {
    return (await ask(batch)).match;
  } catch (err) {
    if (!(err instanceof ApiError) || !err.has('INVALID_INPUT')) throw err;
  }
  const out = [];
  for (const r of batch) {
    try {
      out.push((await ask([r])).match[0]);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      out.push({ error: `match: ${err.message}` });
    }
  }
  return out;
}

async function readExposure(client, id, asOf, dimensions, signal) {
  let data;
  try {
    data = await client.request(screenExposureQuery(dimensions), { id, asOf }, { signal });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { error: `exposure of ${id}: ${err.message}` };
  }
  let topPath = null;
  let modelVersion = '';
  const exposure = dimensions.map((d) => {
    const x = data[d];
    modelVersion = x.modelVersion;
    const e = { dimension: d, score: x.score, intrinsic: x.intrinsic, propagated: x.propagated, topPath: null };
    if (x.topPaths.length > 0) {
      e.topPath = chainPath(d, x.topPaths[0]);
      if (!topPath || e.topPath.strength > topPath.strength) topPath = e.topPath;
    }
    return e;
  });
  return { exposure, topPath, modelVersion };
}

// CSV output: the columns of `riskgraph screen` (internal/screen CSVColumns).
export function csvColumns(dimensions) {
  return [
    'line', 'input_name', 'input_country', 'input_id', 'verdict', 'match_id', 'match_name', 'match_kind',
    'match_score', 'match_reason', 'runner_up_id', 'runner_up_name', 'runner_up_score',
    ...dimensions.map((d) => `exposure_${d.toLowerCase()}`),
    'top_path_dimension', 'top_path_strength', 'top_path', 'top_path_ids', 'compliance', 'covered_by', 'error',
  ];
}

const round4 = (x) => x.toFixed(4);

// csvField quotes a field the way Go's encoding/csv does.
function csvField(s) {
  s = String(s);
  if (s === '') return s;
  if (s === '\\.' || /[",\r\n]/.test(s) || /^\s/u.test(s)) return `"${s.replaceAll('"', '""')}"`;
  return s;
}

export function toCSV(lines) {
  return lines.map((rec) => rec.map(csvField).join(',')).join('\n') + '\n';
}

export function reportCSV(report) {
  const lines = [csvColumns(report.dimensions)];
  for (const r of report.results) {
    const rec = [r.row.line, r.row.name, r.row.country, r.row.id, r.verdict];
    const [best, second] = r.matches;
    rec.push(...(best ? [best.id, best.name, best.kind, round4(best.score), topReason(best)] : ['', '', '', '', '']));
    rec.push(...(r.verdict === 'AMBIGUOUS' && second ? [second.id, second.name, round4(second.score)] : ['', '', '']));
    report.dimensions.forEach((_, i) => rec.push(i < r.exposure.length ? round4(r.exposure[i].score) : ''));
    const p = r.topPath;
    rec.push(...(p ? [p.dimension, round4(p.strength), p.text, p.ids.join(';')] : ['', '', '', '']));
    rec.push(
      r.compliance.map((c) => `${c.ruleId}=${c.status}`).join(';'),
      r.compliance.filter((c) => c.covers).map((c) => c.ruleId).join(';'),
      r.error,
    );
    lines.push(rec);
  }
  return toCSV(lines);
}

// reportJSON is the JSON shape of `riskgraph screen --format json`; scores keep full precision.
export function reportJSON(report) {
  const org = report.organization;
  const out = {
    asOf: report.asOf,
    knownAt: report.knownAt,
    modelVersion: report.modelVersion,
    dimensions: report.dimensions,
    organization: org && {
      id: org.id,
      name: org.name,
      kind: org.kind,
      rules: org.rules.map(({ id, name, kind, inForce, status, obligations }) => ({ id, name, kind, inForce, status, obligations })),
    },
    rows: report.results.map((r) => ({
      line: r.row.line,
      input: { name: r.row.name, country: r.row.country, id: r.row.id, aliases: r.row.aliases, kind: r.row.kind },
      verdict: r.verdict,
      matches: r.matches,
      exposure: r.exposure,
      topPath: r.topPath,
      compliance: r.compliance,
      error: r.error,
    })),
    summary: report.summary,
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
