/**
 * Tables of results: as aligned text for the terminal and as Markdown for BENCHMARKS.md.
 *
 * @module
 */
import type { Chart } from './chart.js';
import type { Spread } from './stats.js';

/** A table: a header row and rows of cells. */
export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
}

/** One target of the issue, and what was measured against it. */
export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

/** What one scenario reports. */
export interface Section {
  title: string;
  /** How it was measured (Markdown). */
  method: string[];
  tables: Table[];
  targets: TargetCheck[];
  /** Every figure that must be a finite number for the smoke check. */
  figures: number[];
  /** Paragraphs after the tables (Markdown). */
  notes?: string[];
  /** Its chart (bench/charts/<name>.svg, shown in BENCHMARKS.md under the section's title). */
  chart?: Chart;
}

/** `1234.5` → `1,235`; `12.34` → `12.3`; `0.1234` → `0.123`. */
export function num(value: number, digits?: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3);
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** `median (min–max)`, or the one value for a single run. */
export function range(s: Spread, digits?: number): string {
  if (s.runs <= 1) return num(s.median, digits);
  return `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`;
}

/** Mebibytes, one decimal. */
export function mib(bytes: number): string {
  return `${num(bytes / 1024 / 1024, 1)} MiB`;
}

/** A table as aligned text. */
export function textTable(table: Table): string {
  const widths = table.headers.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [table.title, line(table.headers), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)].join('\n');
}

/** A table as Markdown. */
export function markdownTable(table: Table): string {
  const escape = (c: string) => c.replaceAll('|', '\\|');
  return [
    `| ${table.headers.map(escape).join(' | ')} |`,
    `| ${table.headers.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...table.rows.map((r) => `| ${r.map(escape).join(' | ')} |`),
  ].join('\n');
}
