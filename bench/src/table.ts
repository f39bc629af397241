import type { Row, WorkloadReport } from './workload.js';

/** The report as a markdown table, preceded by a line saying what it was measured against. */
export function renderReport(report: WorkloadReport): string {
  const withNotes = report.rows.some((row) => row.check !== null || row.note !== null);
  const header = [
    'contender',
    report.metric,
    'ratio',
    'target',
    'met?',
    ...(withNotes ? ['notes'] : []),
  ];
  const body = report.rows.map((row) => [
    row.contender,
    formatValue(row.value),
    row.ratio === null ? 'baseline' : `${row.ratio.toFixed(2)}x`,
    row.target?.text ?? '',
    row.target === null ? '' : yesNo(row.target.met),
    ...(withNotes ? [formatNotes(row)] : []),
  ]);
  const counts = Object.entries(report.counts)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  return [
    `### ${report.workload}`,
    '',
    `Median of rounds; ratios against "${report.baseline}". ${counts}.`,
    '',
    markdownTable(header, body),
  ].join('\n');
}

function formatValue(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function yesNo(met: boolean): string {
  return met ? 'yes' : '**no**';
}

function formatNotes(row: Row): string {
  const check = row.check === null ? [] : [row.check.ok ? row.check.text : `**${row.check.text}**`];
  return [...check, ...(row.note === null ? [] : [row.note])].join('; ');
}

/** Columns padded to their widest cell, so the table reads in a terminal too. */
function markdownTable(header: readonly string[], body: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, 3, ...body.map((cells) => (cells[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${widths.map((width, column) => (cells[column] ?? '').padEnd(width)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join(
    '\n',
  );
}
