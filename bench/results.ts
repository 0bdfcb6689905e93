// Result rows of a benchmark and how they are written into bench/RESULTS.md (one replaceable section per bench).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface Row {
  figure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  /** undefined: informational row without a target. */
  met?: boolean;
}

export interface BenchResult {
  name: string;
  title: string;
  rows: Row[];
  notes: string[];
}

export const RESULTS_PATH = new URL('./RESULTS.md', import.meta.url);
const HEADER =
  '# Benchmark results\n\nWritten by `npm run bench` (all) or `npm run bench -- <name>` (one section). ' +
  'Ratios compare against a baseline measured in the same run. Not part of `npm test`.\n';

export function machineLine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown cpu';
  const memory = `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`;
  return `Machine: ${cpu}, ${cpus().length} cores, ${memory} RAM, Node ${process.version}, ${new Date().toISOString()}`;
}

const cell = (text: string) => text.replaceAll('|', '\\|');
const metCell = (met: boolean | undefined) => (met === undefined ? '–' : met ? 'yes' : '**no**');

export function renderSection(result: BenchResult): string {
  const lines = [
    `<!-- bench:${result.name} -->`,
    `## ${result.title}`,
    '',
    machineLine(),
    '',
    '| figure | value | baseline | ratio | target | met? |',
    '|---|---|---|---|---|---|',
    ...result.rows
      .map((row) =>
        [row.figure, row.value, row.baseline, row.ratio, row.target, metCell(row.met)].map(cell).join(' | '),
      )
      .map((line) => `| ${line} |`),
  ];
  if (result.notes.length > 0) lines.push('', ...result.notes.map((note) => `- ${note}`));
  lines.push(`<!-- /bench:${result.name} -->`);
  return lines.join('\n');
}

/** Replace (or append) each result's section, keeping the sections of benches not run this time. */
export function writeResults(results: BenchResult[], order: readonly string[]): void {
  const current = existsSync(RESULTS_PATH) ? readFileSync(RESULTS_PATH, 'utf8') : HEADER;
  const sections = new Map<string, string>();
  for (const match of current.matchAll(/<!-- bench:([\w-]+) -->[\s\S]*?<!-- \/bench:\1 -->/g)) {
    sections.set(match[1]!, match[0]);
  }
  for (const result of results) sections.set(result.name, renderSection(result));
  const ordered = [
    ...order.filter((name) => sections.has(name)),
    ...[...sections.keys()].filter((n) => !order.includes(n)),
  ];
  writeFileSync(RESULTS_PATH, `${HEADER}\n${ordered.map((name) => sections.get(name)).join('\n\n')}\n`);
}

export const fmt = (value: number, digits = 1) => value.toFixed(digits);
export const ratio = (value: number, baseline: number, digits = 2) =>
  baseline > 0 ? `${(value / baseline).toFixed(digits)}×` : 'n/a';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
