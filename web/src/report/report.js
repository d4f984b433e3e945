// The script of the self-contained nightly report page (internal/report/html.go inlines
// this bundle and report.css into one HTML file). The page is complete without it: every
// table and exposure chain is plain HTML. The script only draws the charts. Each chart is a
// <canvas data-chart="…"> whose series the Go renderer has already computed (the biggest
// moves, the score histogram), so the numbers come from one place; this file decides only
// how they look.
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import './report.css';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

// Colours of a move by its kind, and of the histogram bars. Risk going up is red, going
// down is green; NEW and GONE are the stronger shades of the same.
const moveColours = { UP: '#d9534f', NEW: '#a4161a', DOWN: '#3c9d5d', GONE: '#1f6f3f' };
const histogramColour = '#4a6fa5';
const gridColour = '#e3e6ea';

const fontFamily = getComputedStyle(document.body).fontFamily || 'system-ui, sans-serif';
Chart.defaults.font.family = fontFamily;
Chart.defaults.font.size = 12;
Chart.defaults.color = '#333';

// shorten keeps an axis label to max characters; the tooltip shows the whole name.
function shorten(s, max = 30) {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

const signed = (x) => (x > 0 ? '+' : '') + x.toFixed(4);

// deltaChart draws the biggest moves of one dimension as horizontal bars.
function deltaChart(canvas, spec) {
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels: spec.labels,
      datasets: [
        {
          data: spec.values,
          backgroundColor: spec.kinds.map((k) => moveColours[k] || '#777'),
          borderWidth: 0,
          barPercentage: 0.85,
          categoryPercentage: 0.9,
          maxBarThickness: 28,
        },
      ],
    },
    options: {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items) => spec.labels[items[0].dataIndex],
            label: (item) => {
              const i = item.dataIndex;
              return `${spec.kinds[i]} ${signed(spec.values[i])} (${spec.previous[i].toFixed(4)} → ${spec.scores[i].toFixed(4)})`;
            },
          },
        },
      },
      scales: {
        x: {
          title: { display: true, text: 'change in score' },
          grid: { color: gridColour },
          ticks: { callback: (v) => signed(Number(v)).replace(/0+$/, '').replace(/\.$/, '') },
        },
        y: {
          grid: { display: false },
          ticks: { autoSkip: false, callback: (v, i) => shorten(spec.labels[i]) },
        },
      },
    },
  });
}

// histogramChart draws how the scores of one dimension are spread over ten buckets.
function histogramChart(canvas, spec) {
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels: spec.labels,
      datasets: [{ data: spec.counts, backgroundColor: histogramColour, borderWidth: 0, barPercentage: 1, categoryPercentage: 0.92, maxBarThickness: 60 }],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => `${item.raw} ${item.raw === 1 ? 'entity' : 'entities'}` } },
      },
      scales: {
        x: { title: { display: true, text: 'score' }, grid: { display: false }, ticks: { maxRotation: 0, autoSkip: false, font: { size: 11 } } },
        y: {
          beginAtZero: true,
          title: { display: true, text: 'entities' },
          grid: { color: gridColour },
          ticks: { precision: 0 },
        },
      },
    },
  });
}

const draw = { delta: deltaChart, histogram: histogramChart };

function main() {
  document.documentElement.classList.add('js');
  const dataBlock = document.getElementById('report-data');
  const data = dataBlock ? JSON.parse(dataBlock.textContent) : null;
  const charts = [];
  for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
    const spec = JSON.parse(canvas.dataset.chart);
    const fn = draw[spec.type];
    if (!fn) {
      console.error(`report: unknown chart type ${spec.type}`);
      continue;
    }
    charts.push(fn(canvas, spec));
  }
  // For the browser test and for anyone poking at the page from the console.
  window.riskgraphReport = { data, charts };
}

main();
