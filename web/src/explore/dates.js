// Calendar dates as the API writes them (YYYY-MM-DD), counted in whole UTC days.
const day = 86_400_000;

export const isDate = (s) => typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));
export const today = () => new Date().toISOString().slice(0, 10);
export const toDays = (s) => Math.round(Date.parse(`${s}T00:00:00Z`) / day);
export const fromDays = (n) => new Date(n * day).toISOString().slice(0, 10);
export const addDays = (s, n) => fromDays(toDays(s) + n);

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// formatDate writes 2017-09-13 as "13 Sep 2017".
export function formatDate(s) {
  if (!isDate(s)) return s || '';
  return `${Number(s.slice(8, 10))} ${months[Number(s.slice(5, 7)) - 1]} ${s.slice(0, 4)}`;
}

// validity writes a fact's validity: "from 13 Sep 2017 until 8 Sep 2018", "always".
export function validity(from, to) {
  if (!from && !to) return 'no start or end recorded';
  if (from && !to) return `from ${formatDate(from)}, open-ended`;
  if (!from) return `until ${formatDate(to)} (ended that day)`;
  return `from ${formatDate(from)} until ${formatDate(to)} (ended that day)`;
}
