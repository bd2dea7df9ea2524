import type { VersionDiff } from './diff.js';

const show = (v: unknown): string => (v === undefined ? '(unset)' : JSON.stringify(v));

function reasons(map: Record<string, number>): string {
  return Object.entries(map)
    .sort((x, y) => y[1] - x[1])
    .map(([r, n]) => `${n} ${r}`)
    .join('; ');
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

/** The diff as text a person reads top to bottom: what changed, then why. */
export function formatDiff(diff: VersionDiff): string {
  const { a, b } = diff;
  const lines: string[] = [
    `${diff.dataset}: ${a.version} → ${b.version}` + (b.parent ? ` (${b.version}'s parent: ${b.parent})` : ''),
  ];

  const head = ['domain', a.version, b.version, 'added', 'removed', 'changed', 'unchanged'];
  const rows = diff.domains.map(d => [
    d.domain,
    String(d.before),
    String(d.after),
    `+${d.added}`,
    `-${d.removed}`,
    String(d.changed),
    String(d.unchanged),
  ]);
  const total = (k: 'before' | 'after' | 'added' | 'removed' | 'changed' | 'unchanged') =>
    diff.domains.reduce((n, d) => n + d[k], 0);
  rows.push([
    'total',
    String(total('before')),
    String(total('after')),
    `+${total('added')}`,
    `-${total('removed')}`,
    String(total('changed')),
    String(total('unchanged')),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i]!.length)));
  lines.push('', 'Documents per domain:', '  ' + pad(head, widths), ...rows.map(r => '  ' + pad(r, widths)));

  lines.push('', 'Why:');
  let any = false;
  for (const d of diff.domains) {
    for (const kind of ['added', 'removed', 'changed'] as const) {
      if (d[kind] === 0) continue;
      any = true;
      lines.push(`  ${d.domain}: ${kind} ${d[kind]}: ${reasons(d.why[kind])}`);
      for (const e of d.examples[kind].slice(0, 2)) lines.push(`      e.g. ${e}`);
    }
  }
  if (!any) lines.push('  no document was added, removed or changed');

  lines.push('', 'Config differences (manifest.config):');
  if (diff.config.length === 0) lines.push('  none');
  for (const c of diff.config) lines.push(`  ${c.key}: ${show(c.a)} → ${show(c.b)}`);

  const q = diff.queries;
  lines.push('', `Queries: ${q.a} → ${q.b} (+${q.added} -${q.removed})`);
  for (const [domain, n] of Object.entries(q.byDomain).sort()) lines.push(`  ${domain}: +${n.added} -${n.removed}`);
  for (const e of q.examples.added) lines.push(`  + ${e}`);
  for (const e of q.examples.removed) lines.push(`  - ${e}`);

  const inp = diff.inputs;
  if (inp.added.length + inp.removed.length + inp.changed.length > 0) {
    lines.push('', 'Inputs:');
    for (const p of inp.added) lines.push(`  + ${p}`);
    for (const p of inp.removed) lines.push(`  - ${p}`);
    for (const p of inp.changed) lines.push(`  ~ ${p} (content changed)`);
  }

  lines.push('', 'Funnel (in → out):');
  const io = (x: { in: number; out: number } | null) => (x ? `${x.in} → ${x.out}` : '-');
  for (const f of diff.funnel) lines.push(`  ${f.step}: ${a.version} ${io(f.a)}; ${b.version} ${io(f.b)}`);
  return lines.join('\n') + '\n';
}
