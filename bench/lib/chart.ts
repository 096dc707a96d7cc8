/**
 * One SVG chart per scenario, written by the harness next to BENCHMARKS.md (no external service):
 * horizontal bars of ratios (the median of the runs) with their min–max as whiskers, a line at 1
 * (parity) and, where the issue sets one, a dashed line at the target. Plain SVG 1.1 text, readable
 * by GitHub's Markdown image rendering.
 *
 * @module
 */
import type { Spread } from './stats.js';

/** One bar: a ratio's median and range. */
export interface ChartBar {
  label: string;
  value: Spread;
  /** The target for this bar, if any (drawn as a dashed tick). */
  target?: number;
}

/** A chart: bars in groups (a group title above its bars). */
export interface Chart {
  /** File name without extension, e.g. `signin`. */
  name: string;
  title: string;
  /** What the ratios are, shown under the title (e.g. "express-bindid ÷ peer; > 1: express-bindid better"). */
  subtitle: string;
  groups: { title: string; bars: ChartBar[] }[];
  /** Bars at or under their target are the good ones (a latency against its limit). Default: at or over. */
  lowerIsBetter?: boolean;
}

const WIDTH = 760;
const LABEL_W = 300;
const PLOT_W = WIDTH - LABEL_W - 90;
const BAR_H = 16;
const ROW_H = 24;

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The axis range: from 0 to a round number past every max and target (at least 1.2). */
function axisMax(chart: Chart): number {
  const values = chart.groups.flatMap((g) => g.bars.flatMap((b) => [b.value.max, b.value.median, b.target ?? 0]));
  const top = Math.max(1.2, ...values.filter(Number.isFinite)) * 1.08;
  const step = top > 4 ? 1 : top > 2 ? 0.5 : 0.25;
  return Math.ceil(top / step) * step;
}

/** The chart as an SVG document. */
export function renderChart(chart: Chart): string {
  const max = axisMax(chart);
  const x = (v: number): number => LABEL_W + (Math.max(0, Math.min(v, max)) / max) * PLOT_W;
  const parts: string[] = [];
  let y = 58;
  for (const group of chart.groups) {
    parts.push(`<text x="8" y="${y + 12}" font-weight="bold">${escapeXml(group.title)}</text>`);
    y += ROW_H;
    for (const bar of group.bars) {
      const { median, min, max: hi } = bar.value;
      const mid = y + BAR_H / 2;
      const good = bar.target !== undefined && (chart.lowerIsBetter ? median <= bar.target : median >= bar.target);
      const fill = bar.target === undefined ? '#7a8ca8' : good ? '#3c8d5a' : '#c0503a';
      parts.push(`<text x="16" y="${mid + 4}">${escapeXml(bar.label)}</text>`);
      if (Number.isFinite(median)) {
        parts.push(`<rect x="${LABEL_W}" y="${y}" width="${(x(median) - LABEL_W).toFixed(1)}" height="${BAR_H}" fill="${fill}"/>`);
        if (Number.isFinite(min) && Number.isFinite(hi) && hi > min) {
          parts.push(
            `<path d="M${x(min).toFixed(1)} ${mid}H${x(hi).toFixed(1)}M${x(min).toFixed(1)} ${y + 3}V${y + BAR_H - 3}M${x(hi).toFixed(1)} ${y + 3}V${y + BAR_H - 3}" stroke="#222" stroke-width="1.5"/>`,
          );
        }
        const right = Number.isFinite(hi) ? Math.max(x(median), x(hi)) : x(median);
        parts.push(`<text x="${(right + 6).toFixed(1)}" y="${mid + 4}">${median.toFixed(2)}</text>`);
      } else {
        parts.push(`<text x="${LABEL_W + 4}" y="${mid + 4}">n/a</text>`);
      }
      if (bar.target !== undefined) {
        parts.push(`<path d="M${x(bar.target).toFixed(1)} ${y - 3}V${y + BAR_H + 3}" stroke="#222" stroke-dasharray="3 2"/>`);
      }
      y += ROW_H;
    }
    y += 6;
  }
  const height = y + 30;
  const ticks: string[] = [];
  const step = max > 4 ? 1 : max > 2 ? 0.5 : 0.25;
  for (let v = 0; v <= max + 1e-9; v += step) {
    ticks.push(
      `<path d="M${x(v).toFixed(1)} 50V${y}" stroke="#ddd"/><text x="${x(v).toFixed(1)}" y="${y + 16}" text-anchor="middle">${v.toFixed(2)}</text>`,
    );
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="20" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
    `<text x="8" y="38" fill="#444">${escapeXml(chart.subtitle)}</text>`,
    ...ticks,
    `<path d="M${x(1).toFixed(1)} 50V${y}" stroke="#222" stroke-width="1.5"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
