/**
 * Charts (uPlot): traffic with the forecast and its interval drawn ahead of "now" and the
 * capacity line; scores (threat, anomaly) with the policy thresholds. Each chart keeps its uPlot
 * instance and takes new data in place (live updates redraw, they do not rebuild).
 */
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { probe } from './app.js';

export interface TrafficData {
  now: number;
  traffic: { t: number[]; flows: number[] };
  forecast?: { t: number[]; yhat: number[]; lower: number[]; upper: number[] };
  capacity?: number;
}

export interface ScoreData {
  now: number;
  t: number[];
  threat: (number | null)[];
  anomaly: (number | null)[];
  thresholds: { incident: number; block: number };
}

const ACCENT = '#465fff';
const FORECAST = '#7a5af8';

/**
 * The time axis: one line of UTC clock time (the dashboard's clock is UTC; the demo's is
 * simulated), seconds only when the ticks are less than a minute apart, the date only when the
 * span crosses midnight. uPlot's default adds a second row of dates in local time that collides
 * with the first on short spans.
 */
export function timeAxis(): uPlot.Axis {
  return {
    stroke: '#667085',
    grid: { stroke: '#f2f4f7' },
    space: 70,
    size: 34,
    values: (u, splits, _axis, _space, incr) => {
      const days = new Set(splits.map((s) => Math.floor(s / 86_400)));
      return splits.map((s) => {
        const iso = new Date(s * 1000).toISOString();
        const clock = incr < 60 ? iso.slice(11, 19) : iso.slice(11, 16);
        return days.size > 1 && incr >= 3600 ? `${iso.slice(5, 10)} ${clock}` : clock;
      });
    },
  };
}

function nowLine(getNow: () => number): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const x = u.valToPos(getNow() / 1000, 'x', true);
        if (!Number.isFinite(x) || x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
        const ctx = u.ctx;
        ctx.save();
        ctx.strokeStyle = '#98a2b3';
        ctx.setLineDash([4, 4]);
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.fillStyle = '#667085';
        ctx.font = `${11 * devicePixelRatio}px sans-serif`;
        ctx.fillText('now', x + 4 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio);
        ctx.restore();
      },
    },
  };
}

abstract class Chart<D> {
  protected plot: uPlot | undefined;
  private readonly observer: ResizeObserver;
  protected now = 0;

  constructor(
    protected readonly el: HTMLElement,
    protected readonly height: number,
  ) {
    this.observer = new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height }));
    this.observer.observe(el);
  }

  protected width(): number {
    return Math.max(300, this.el.clientWidth);
  }

  protected abstract options(): Options;
  protected abstract aligned(d: D): AlignedData;

  update(d: D): void {
    const data = this.aligned(d);
    if (!this.plot) this.plot = new uPlot(this.options(), data, this.el);
    else this.plot.setData(data);
  }

  destroy(): void {
    this.observer.disconnect();
    this.plot?.destroy();
  }
}

export class TrafficChart extends Chart<TrafficData> {
  private capacity: number | undefined;

  protected options(): Options {
    return {
      width: this.width(),
      height: this.height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        y: { range: (_u, min, max) => [0, Math.max(max, this.capacity ?? 0) * 1.08 || 1] },
      },
      axes: [
        timeAxis(),
        {
          stroke: '#667085',
          grid: { stroke: '#f2f4f7' },
          size: 56,
          values: (_u, v) => v.map((x) => (x >= 1000 ? `${(x / 1000).toFixed(1)}k` : String(Math.round(x)))),
        },
      ],
      series: [
        {},
        { label: 'flows/min', stroke: ACCENT, width: 2, fill: 'rgba(70, 95, 255, 0.08)', spanGaps: false },
        { label: 'forecast', stroke: FORECAST, width: 2, dash: [6, 4] },
        { label: 'upper', stroke: 'rgba(122, 90, 248, 0.35)', width: 1, points: { show: false } },
        { label: 'lower', stroke: 'rgba(122, 90, 248, 0.35)', width: 1, points: { show: false } },
        { label: 'capacity', stroke: '#f04438', width: 1.5, dash: [3, 3], points: { show: false } },
      ],
      bands: [{ series: [3, 4], fill: 'rgba(122, 90, 248, 0.12)' }],
      plugins: [nowLine(() => this.now)],
    };
  }

  protected aligned(d: TrafficData): AlignedData {
    this.now = d.now;
    this.capacity = d.capacity;
    probe.chartUpdates++;
    probe.lastTrafficT = d.traffic.t[d.traffic.t.length - 1] ?? 0;
    const f = d.forecast;
    const xs = [...d.traffic.t, ...(f?.t ?? [])].map((t) => t / 1000);
    const n = d.traffic.t.length;
    const last = d.traffic.flows[n - 1];
    const blank = () => new Array<null>(xs.length).fill(null);
    // The forecast starts at the last actual point so the two lines join.
    const fc = (arr: number[] | undefined) =>
      arr
        ? [...new Array<null>(Math.max(0, n - 1)).fill(null), ...(n > 0 ? [last ?? null] : []), ...arr]
        : blank();
    return [
      xs,
      [...d.traffic.flows, ...new Array<null>(xs.length - n).fill(null)],
      fc(f?.yhat),
      fc(f?.upper),
      fc(f?.lower),
      xs.map(() => d.capacity ?? null),
    ] as AlignedData;
  }
}

export class ScoreChart extends Chart<ScoreData> {
  protected options(): Options {
    return {
      width: this.width(),
      height: this.height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: [0, 1] } },
      axes: [
        timeAxis(),
        {
          stroke: '#667085',
          grid: { stroke: '#f2f4f7' },
          size: 40,
          splits: () => [0, 0.2, 0.4, 0.6, 0.8, 1],
          values: (_u, v) => v.map((x) => x.toFixed(1)),
        },
      ],
      series: [
        {},
        { label: 'threat', stroke: '#f04438', width: 2, fill: 'rgba(240, 68, 56, 0.07)' },
        { label: 'anomaly', stroke: '#f79009', width: 1.5 },
        { label: 'incident', stroke: '#98a2b3', width: 1, dash: [5, 4], points: { show: false } },
        { label: 'block', stroke: '#b42318', width: 1, dash: [2, 3], points: { show: false } },
      ],
      plugins: [nowLine(() => this.now)],
    };
  }

  protected aligned(d: ScoreData): AlignedData {
    this.now = d.now;
    return [
      d.t.map((t) => t / 1000),
      d.threat,
      d.anomaly,
      d.t.map(() => d.thresholds.incident),
      d.t.map(() => d.thresholds.block),
    ] as AlignedData;
  }
}

export function legend(items: [string, string, string?][]): HTMLElement {
  const el = document.createElement('div');
  el.className = 'legend';
  for (const [label, color, kind] of items) {
    const span = document.createElement('span');
    const i = document.createElement('i');
    i.style.background = color;
    i.style.color = color;
    if (kind) i.className = kind;
    span.append(i, label);
    el.appendChild(span);
  }
  return el;
}
