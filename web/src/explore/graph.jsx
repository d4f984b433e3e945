// The exposure graph, drawn by cytoscape.js and laid out by dagre: risk flows left to right,
// from each risk source to the explained entity. Nodes are coloured (and shaped) by kind;
// chain edges are coloured by dimension and labelled with their type and weight; arrow
// heads point the way each relationship is written (SELLS: retailer → product, although
// risk crosses it from the product to the retailer). Neighbours added on demand are drawn
// with dashed grey edges: they are context, not part of any chain.
import React, { useEffect, useRef, useState } from 'react';
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';

cytoscape.use(dagre);

// Colours (Okabe–Ito, then greys) and shapes per kind, so kinds differ without colour too.
export const kindStyle = {
  Vendor: { color: '#E69F00', shape: 'round-rectangle' },
  Product: { color: '#F0E442', shape: 'ellipse' },
  Government: { color: '#D55E00', shape: 'diamond' },
  Agency: { color: '#CC79A7', shape: 'hexagon' },
  Law: { color: '#0072B2', shape: 'barrel' },
  Directive: { color: '#56B4E9', shape: 'tag' },
  Retailer: { color: '#009E73', shape: 'round-pentagon' },
  Organization: { color: '#7FD1AE', shape: 'round-octagon' },
  Person: { color: '#A6A6A6', shape: 'triangle' },
  Source: { color: '#DDDDDD', shape: 'rectangle' },
};
const otherKind = { color: '#BBBBBB', shape: 'ellipse' };

export const dimensionStyle = {
  FOREIGN_INFLUENCE: { color: '#B71C1C', short: 'FI', label: 'Foreign influence' },
  REGULATORY: { color: '#283593', short: 'REG', label: 'Regulatory' },
  SANCTIONS: { color: '#6A1B9A', short: 'SAN', label: 'Sanctions' },
  REPUTATIONAL: { color: '#E65100', short: 'REP', label: 'Reputational' },
  OPERATIONAL: { color: '#00695C', short: 'OPS', label: 'Operational' },
};
export const dimensionLabel = (d) => dimensionStyle[d]?.label || d;
const dimensionColour = (d) => dimensionStyle[d]?.color || '#424242';
const short = (d) => dimensionStyle[d]?.short || d;

export const fmt = (x, digits = 2) => (typeof x === 'number' ? x.toFixed(digits) : '');

// buildGraph turns the chains of the shown dimensions, and the neighbours expanded so far,
// into cytoscape elements. It also returns the nodes and edges as plain lists for the
// keyboard-usable list beside the drawing.
export function buildGraph({ entity, exposures, shown, neighbours }) {
  const nodes = new Map();
  const edges = new Map();
  const node = (e) => {
    if (!nodes.has(e.id)) nodes.set(e.id, { id: e.id, name: e.name, kind: e.kind, focus: false, sourceOf: new Set(), dims: new Set() });
    return nodes.get(e.id);
  };
  if (entity) node(entity).focus = true;
  for (const d of shown) {
    const ex = exposures?.[d];
    if (!ex) continue;
    if (ex.intrinsic > 0 && entity) node(entity).sourceOf.add(d);
    for (const p of ex.topPaths) {
      node(p.signal.entity).sourceOf.add(d);
      for (const s of p.steps) {
        node(s.from).dims.add(d);
        node(s.to).dims.add(d);
        let e = edges.get(s.relationshipId);
        if (!e || e.context) {
          e = { id: s.relationshipId, from: s.from.id, to: s.to.id, type: s.type, flow: s.flow, weights: {}, strength: 0, context: false };
          edges.set(s.relationshipId, e);
        }
        e.weights[d] = s.weight;
        e.strength = Math.max(e.strength, p.strength);
        e.confidence = s.confidence;
        e.inferred = s.inferred;
      }
    }
  }
  for (const r of neighbours) {
    node(r.from);
    node(r.to);
    if (!edges.has(r.id)) edges.set(r.id, { id: r.id, from: r.from.id, to: r.to.id, type: r.type, flow: 'ALONG', weights: {}, context: true });
  }

  const elements = [];
  for (const n of nodes.values()) {
    const k = kindStyle[n.kind] || otherKind;
    const classes = [n.focus ? 'focus' : '', n.sourceOf.size ? 'risk-source' : ''].filter(Boolean).join(' ');
    // Long names are cut in the drawing (the facts panel has them whole).
    const name = n.name.length > 40 ? `${n.name.slice(0, 38).trimEnd()}…` : n.name;
    const label = n.sourceOf.size ? `⚠ ${name}` : name;
    elements.push({ group: 'nodes', data: { id: n.id, label, kind: n.kind, color: k.color, shape: k.shape }, classes });
  }
  for (const e of edges.values()) {
    const dims = Object.keys(e.weights);
    const ws = [...new Set(Object.values(e.weights))];
    let label = e.type;
    if (dims.length === 1 || ws.length === 1) label += ` · ${fmt(ws[0])}`;
    else if (dims.length > 1) label += ` · ${dims.map((d) => `${short(d)} ${fmt(e.weights[d])}`).join(' / ')}`;
    if (e.flow === 'AGAINST') label += ' ↺';
    const color = e.context ? '#9E9E9E' : dims.length === 1 ? dimensionColour(dims[0]) : '#37474F';
    const classes = [e.context ? 'context' : 'chain', e.flow === 'AGAINST' ? 'against' : 'along'].join(' ');
    // Drawn from e.from to e.to: the way risk flows for a chain step (which the layout
    // follows), the way it is written for a neighbour. The arrow head marks the way the
    // relationship is written: at the start of a step that risk crosses against it.
    elements.push({ group: 'edges', data: { id: e.id, source: e.from, target: e.to, label, color, type: e.type, dims: dims.join(' ') }, classes });
  }
  return { elements, nodes: [...nodes.values()], edges: [...edges.values()] };
}

function useNarrow() {
  const query = '(max-width: 760px)';
  const [narrow, setNarrow] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const m = window.matchMedia(query);
    const on = () => setNarrow(m.matches);
    m.addEventListener('change', on);
    return () => m.removeEventListener('change', on);
  }, []);
  return narrow;
}

// styleFor returns the drawing's style; a narrow screen gets larger text, since the
// drawing is shrunk more to fit.
const styleFor = (narrow) => [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'background-color': 'data(color)',
      shape: 'data(shape)',
      width: 30,
      height: 30,
      'border-width': 1.5,
      'border-color': '#37474F',
      'font-size': narrow ? 16 : 13,
      'font-family': 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif',
      color: '#111',
      'text-wrap': 'wrap',
      'text-max-width': narrow ? 120 : 140,
      'text-valign': 'bottom',
      'text-margin-y': 5,
      'text-background-color': '#ffffff',
      'text-background-opacity': 0.85,
      'text-background-padding': 2,
      'text-background-shape': 'round-rectangle',
    },
  },
  {
    selector: 'node.focus',
    style: { width: 46, height: 46, 'border-width': 4, 'border-color': '#000', 'font-weight': 'bold', 'font-size': narrow ? 17 : 14 },
  },
  {
    selector: 'node.risk-source',
    style: {
      'border-width': 4,
      'border-color': '#C62828',
      'underlay-color': '#E53935',
      'underlay-opacity': 0.3,
      'underlay-padding': 8,
      'underlay-shape': 'ellipse',
      color: '#8E0000',
      'font-weight': 'bold',
    },
  },
  {
    selector: 'edge',
    style: {
      width: 2.5,
      'curve-style': 'bezier',
      'line-color': 'data(color)',
      'target-arrow-color': 'data(color)',
      'source-arrow-color': 'data(color)',
      label: 'data(label)',
      'font-size': narrow ? 14 : 11,
      'font-family': 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif',
      color: '#1b1b1b',
      'text-rotation': 'autorotate',
      'text-background-color': '#ffffff',
      'text-background-opacity': 0.9,
      'text-background-padding': 2,
      'arrow-scale': 1.2,
    },
  },
  { selector: 'edge.along', style: { 'target-arrow-shape': 'triangle' } },
  { selector: 'edge.against', style: { 'source-arrow-shape': 'triangle', 'line-style': 'solid' } },
  { selector: 'edge.context', style: { 'line-style': 'dashed', width: 1.5, color: '#555' } },
  {
    selector: ':selected',
    style: { 'overlay-color': '#1565C0', 'overlay-opacity': 0.22, 'overlay-padding': 6 },
  },
];

// Graph draws elements. selected is the id of the selected node or edge; onSelect(kind, id)
// is called on a tap ('node', 'edge', or null for the background), onExpand(id) on a
// double tap of a node. cyRef receives the cytoscape instance (exports, tests).
export function Graph({ elements, selected, onSelect, onExpand, cyRef, label, visible }) {
  // On a narrow screen the chains run top to bottom instead of left to right.
  const narrow = useNarrow();
  const box = useRef(null);
  const cy = useRef(null);
  const handlers = useRef({ onSelect, onExpand });
  handlers.current = { onSelect, onExpand };

  useEffect(() => {
    const c = cytoscape({ container: box.current, style: styleFor(narrow), elements: [], minZoom: 0.2, maxZoom: 3, boxSelectionEnabled: false });
    c.on('tap', 'node', (e) => handlers.current.onSelect('node', e.target.id()));
    c.on('tap', 'edge', (e) => handlers.current.onSelect('edge', e.target.id()));
    c.on('tap', (e) => {
      if (e.target === c) handlers.current.onSelect(null, null);
    });
    c.on('dbltap', 'node', (e) => handlers.current.onExpand(e.target.id()));
    cy.current = c;
    if (cyRef) cyRef.current = c;
    return () => {
      c.destroy();
      cy.current = null;
    };
  }, []);

  useEffect(() => {
    const c = cy.current;
    c.style(styleFor(narrow));
    c.batch(() => {
      c.elements().remove();
      c.add(elements);
    });
    // Neighbours' edges are left out of the layout when there are chains, so that adding
    // context does not move the chains around (risk still reads left to right).
    const laid = c.edges('.chain').nonempty() ? c.elements().not('edge.context') : c.elements();
    laid.layout({
      name: 'dagre',
      rankDir: narrow ? 'TB' : 'LR',
      nodeSep: 16,
      rankSep: narrow ? 110 : 120,
      edgeSep: 16,
      nodeDimensionsIncludeLabels: true,
      padding: 24,
      fit: true,
      animate: false,
    }).run();
    // A tall drawing (many entities side by side in one rank) gets a taller box, up to a
    // limit, rather than text too small to read.
    const bb = c.elements().boundingBox();
    const tall = Math.min(1100, Math.round(bb.h * 0.75 + 60));
    box.current.style.minHeight = '';
    box.current.style.minHeight = tall > box.current.clientHeight ? `${tall}px` : '';
    c.resize();
    c.fit(undefined, 24);
    if (c.zoom() > 1.4) {
      c.zoom(1.4);
      c.center();
    }
  }, [elements, narrow]);

  useEffect(() => {
    const c = cy.current;
    c.elements(':selected').unselect();
    if (selected) {
      const el = c.getElementById(selected);
      if (el.nonempty()) el.select();
    }
  }, [selected, elements]);

  useEffect(() => {
    if (!visible) return;
    const c = cy.current;
    c.resize();
    c.fit(undefined, 30);
    if (c.zoom() > 1.4) {
      c.zoom(1.4);
      c.center();
    }
  }, [visible]);

  return <div ref={box} className="graph-canvas" role="img" aria-label={label} />;
}
