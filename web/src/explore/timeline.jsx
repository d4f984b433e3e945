// The date control: a slider over the days of the story with the key dates marked on it
// (rules taking effect, obligations falling due, facts starting and ending), a date field
// for any day, and buttons that jump to the previous or next key date. Moving the slider
// re-queries after a short pause, so dragging does not send a request per day.
import React, { useEffect, useMemo, useRef, useState } from 'react';
import { formatDate, fromDays, isDate, toDays } from './dates.js';

const markTypes = {
  rule: 'takes effect',
  deadline: 'deadline',
  fact: 'fact starts or ends',
};

export function Timeline({ asOf, onChange, marks, min, max }) {
  const [draft, setDraft] = useState(asOf);
  const timer = useRef(null);
  useEffect(() => setDraft(asOf), [asOf]);
  useEffect(() => () => clearTimeout(timer.current), []);

  const lo = Math.min(toDays(min), toDays(asOf));
  const hi = Math.max(toDays(max), toDays(asOf));
  const pos = (d) => `${(((toDays(d) - lo) / Math.max(1, hi - lo)) * 100).toFixed(3)}%`;
  const inRange = useMemo(() => marks.filter((m) => toDays(m.date) >= lo && toDays(m.date) <= hi), [marks, lo, hi]);

  const commit = (d, delay) => {
    setDraft(d);
    clearTimeout(timer.current);
    if (delay) timer.current = setTimeout(() => onChange(d), delay);
    else onChange(d);
  };
  const prev = [...marks].reverse().find((m) => m.date < draft);
  const next = marks.find((m) => m.date > draft);
  const current = useRef(null);
  useEffect(() => {
    // Scroll the chip list only (scrollIntoView would scroll the page too).
    const chip = current.current;
    const list = chip?.parentElement;
    if (chip && list) list.scrollLeft = chip.offsetLeft - list.offsetLeft - list.clientWidth / 2 + chip.clientWidth / 2;
  }, [draft, inRange.length]);

  return (
    <section className="timeline" aria-label="Date">
      <div className="timeline-row">
        <label htmlFor="asof-range" className="timeline-label">
          As of <strong>{formatDate(draft)}</strong>
        </label>
        <div className="timeline-track">
          <input
            id="asof-range"
            type="range"
            min={lo}
            max={hi}
            step={1}
            value={toDays(draft)}
            aria-valuetext={formatDate(draft)}
            onChange={(e) => commit(fromDays(Number(e.target.value)), 300)}
          />
          <div className="timeline-ticks" aria-hidden="true">
            {inRange.map((m) => (
              <span
                key={`${m.date}|${m.label}`}
                className={`tick tick-${m.type}${m.date <= draft ? ' tick-passed' : ''}`}
                style={{ left: pos(m.date) }}
                title={`${formatDate(m.date)}: ${m.label}`}
              />
            ))}
          </div>
        </div>
        <label className="visually-hidden" htmlFor="asof-date">
          Date, exactly
        </label>
        <input
          id="asof-date"
          type="date"
          value={draft}
          onChange={(e) => isDate(e.target.value) && commit(e.target.value, 0)}
        />
        <button type="button" disabled={!prev} onClick={() => prev && commit(prev.date, 0)} title={prev ? `${formatDate(prev.date)}: ${prev.label}` : ''}>
          ◀ Previous key date
        </button>
        <button type="button" disabled={!next} onClick={() => next && commit(next.date, 0)} title={next ? `${formatDate(next.date)}: ${next.label}` : ''}>
          Next key date ▶
        </button>
      </div>
      <ol className="timeline-marks" aria-label="Key dates">
        {inRange.map((m) => {
          const passed = m.date <= draft;
          // The chip to keep in view: the next key date, or the last one when none is left.
          const here = next ? m === next : m === inRange[inRange.length - 1];
          return (
            <li key={`${m.date}|${m.label}`} ref={here ? current : null}>
              <button
                type="button"
                className={`mark mark-${m.type}${passed ? ' mark-passed' : ''}${m.date === draft ? ' mark-current' : ''}`}
                onClick={() => commit(m.date, 0)}
                aria-label={`${formatDate(m.date)}, ${markTypes[m.type]}: ${m.label}${passed ? ' (passed)' : ''}`}
              >
                <span className="mark-date">{formatDate(m.date)}</span>
                <span className="mark-label">{m.label}</span>
              </button>
            </li>
          );
        })}
      </ol>
    </section>
  );
}

// ruleMarks lists the dates of directives and laws: when each takes effect, ends, and when
// each of its obligations falls due.
export function ruleMarks(rules) {
  const out = [];
  for (const r of rules) {
    const short = r.name.split(':')[0];
    if (r.validFrom) out.push({ date: r.validFrom, type: 'rule', label: `${short} takes effect` });
    if (r.validTo) out.push({ date: r.validTo, type: 'rule', label: `${short} ends` });
    for (const o of r.obligations) out.push({ date: o.due, type: 'deadline', label: `${short}: ${o.title}` });
  }
  return out;
}

// sortMarks orders marks by date and drops repeats of the same date and label.
export function sortMarks(marks) {
  const seen = new Set();
  return marks
    .filter((m) => isDate(m.date))
    .filter((m) => {
      const k = `${m.date}|${m.label}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => (a.date === b.date ? a.label.localeCompare(b.label) : a.date < b.date ? -1 : 1));
}
