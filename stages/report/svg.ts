/** Inline SVG charts: plain strings, no script, so the report opens from disk anywhere. */

export interface Bar {
  label: string;
  value: number;
  /** Tooltip; defaults to "label: value". */
  title?: string;
}

export interface Segment {
  name: string;
  value: number;
  className: string;
  /** A fill colour of its own (overrides nothing: the class then sets none). */
  fill?: string;
  /** Drawn at least this wide (px) when its value is not 0, so a small removal stays visible. */
  minWidth?: number;
}

/** Kelly's colours of maximum contrast, less white, black and the blue that marks kept documents. */
const KELLY = [
  '#be0032',
  '#f3c300',
  '#875692',
  '#f38400',
  '#a1caf1',
  '#008856',
  '#e68fac',
  '#c2b280',
  '#848482',
  '#f99379',
  '#604e97',
  '#f6a600',
  '#b3446c',
  '#dcd300',
  '#882d17',
  '#8db600',
  '#654522',
  '#e25822',
  '#2b3d26',
];

/**
 * n distinct colours: Kelly's first, then hues a golden angle apart (skipping the kept blue's), so no two
 * legend entries share a colour however many rules there are.
 */
export function distinctColours(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    if (i < KELLY.length) return KELLY[i]!;
    const j = i - KELLY.length;
    let hue = (10 + j * 137.508) % 360;
    if (hue > 195 && hue < 245) hue = (hue + 55) % 360; // away from kept (#3b6fd4, hue 220)
    return `hsl(${hue.toFixed(0)} ${j % 2 ? 55 : 70}% ${[46, 62, 36][j % 3]}%)`;
  });
}

const FONT = 12;
const CHAR_WIDTH = 7.4;
const ROW = 22;

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 1 });

function clip(label: string, max: number): string {
  return label.length > max ? label.slice(0, max - 1) + '…' : label;
}

function svg(id: string, width: number, height: number, body: string[], label: string): string {
  return (
    `<svg class="chart-svg" data-chart="${esc(id)}" role="img" aria-label="${esc(label)}" viewBox="0 0 ${width} ${height}" ` +
    `width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg" font-size="${FONT}">${body.join('')}</svg>`
  );
}

/** Horizontal bars, one row per item, value printed at the end of the bar. */
export function barChart(
  id: string,
  bars: Bar[],
  opts: { width?: number; labelChars?: number; className?: string; format?: (n: number) => string; log?: boolean } = {},
): string {
  const width = opts.width ?? 640;
  const format = opts.format ?? fmt;
  const labelChars = Math.min(opts.labelChars ?? 32, Math.max(4, ...bars.map(b => b.label.length)));
  const left = Math.round(labelChars * CHAR_WIDTH + 8);
  const right = 70;
  const max = Math.max(1, ...bars.map(b => b.value));
  const plot = width - left - right;
  const body = bars.map((b, i) => {
    const y = i * ROW + 4;
    // A log scale (log(1 + value)) keeps counts of 1 visible beside counts in the thousands.
    const share = opts.log ? Math.log1p(b.value) / Math.log1p(max) : b.value / max;
    const w = b.value > 0 ? Math.max(1, share * plot) : 0;
    const title = esc(b.title ?? `${b.label}: ${format(b.value)}`);
    return (
      `<text x="${left - 6}" y="${y + 13}" text-anchor="end" class="label">${esc(clip(b.label, labelChars))}<title>${title}</title></text>` +
      `<rect class="mark ${opts.className ?? 'c0'}" x="${left}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 6}" data-value="${b.value}"><title>${title}</title></rect>` +
      `<text x="${(left + w + 4).toFixed(1)}" y="${y + 13}" class="value">${esc(format(b.value))}</text>`
    );
  });
  return svg(id, width, bars.length * ROW + 8, body, id);
}

/** Vertical columns (a histogram); every `labelEvery`-th label is printed under its column. */
export function columnChart(
  id: string,
  columns: Bar[],
  opts: { width?: number; height?: number; labelEvery?: number; className?: string } = {},
): string {
  const width = opts.width ?? 640;
  const height = opts.height ?? 220;
  const [top, bottom, left, right] = [16, 40, 44, 28];
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = Math.max(1, ...columns.map(c => c.value));
  const step = plotW / Math.max(1, columns.length);
  const labelEvery = opts.labelEvery ?? Math.max(1, Math.ceil(columns.length / Math.floor(plotW / 60)));
  const body: string[] = [
    `<line class="axis" x1="${left}" y1="${top + plotH}" x2="${width - right}" y2="${top + plotH}"/>`,
    `<line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}"/>`,
    `<text class="value" x="${left - 4}" y="${top + 4}" text-anchor="end">${esc(fmt(max))}</text>`,
    `<text class="value" x="${left - 4}" y="${top + plotH}" text-anchor="end">0</text>`,
  ];
  columns.forEach((c, i) => {
    const x = left + i * step;
    const h = c.value > 0 ? Math.max(1, (c.value / max) * plotH) : 0;
    const title = esc(c.title ?? `${c.label}: ${fmt(c.value)}`);
    body.push(
      `<rect class="mark ${opts.className ?? 'c0'}" x="${(x + step * 0.1).toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" ` +
        `width="${Math.max(1, step * 0.8).toFixed(1)}" height="${h.toFixed(1)}" data-value="${c.value}"><title>${title}</title></rect>`,
    );
    if (i % labelEvery === 0) {
      body.push(
        `<text class="label" x="${(x + step / 2).toFixed(1)}" y="${top + plotH + 14}" text-anchor="middle">${esc(c.label)}</text>`,
      );
    }
  });
  return svg(id, width, height, body, id);
}

/** One horizontal stacked bar per row (e.g. kept vs removed at each step of the funnel), with a legend. */
export function stackedBarChart(
  id: string,
  rows: { label: string; segments: Segment[] }[],
  opts: { width?: number } = {},
): string {
  const width = opts.width ?? 640;
  const labelChars = Math.max(4, ...rows.map(r => r.label.length));
  const left = Math.round(labelChars * CHAR_WIDTH + 8);
  const right = 120;
  const plot = width - left - right;
  const max = Math.max(1, ...rows.map(r => r.segments.reduce((n, s) => n + s.value, 0)));
  const legend = new Map<string, Segment>();
  const body: string[] = [];
  rows.forEach((r, i) => {
    const y = i * ROW + 4;
    let x = left;
    body.push(`<text x="${left - 6}" y="${y + 13}" text-anchor="end" class="label">${esc(r.label)}</text>`);
    for (const s of r.segments) {
      if (s.value <= 0) continue;
      legend.set(s.name, s);
      const w = Math.max(s.minWidth ?? 1, (s.value / max) * plot);
      body.push(
        `<rect class="mark ${s.className}"${s.fill ? ` fill="${s.fill}"` : ''} x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 6}" data-value="${s.value}">` +
          `<title>${esc(`${r.label}: ${s.name} ${fmt(s.value)}`)}</title></rect>`,
      );
      x += w;
    }
    const total = r.segments.reduce((n, s) => n + s.value, 0);
    body.push(`<text x="${(x + 4).toFixed(1)}" y="${y + 13}" class="value">${esc(fmt(total))}</text>`);
  });
  let lx = left;
  let ly = rows.length * ROW + 10;
  for (const [name, seg] of legend) {
    const w = Math.round(24 + name.length * CHAR_WIDTH);
    if (lx > left && lx + w > width) [lx, ly] = [left, ly + 18];
    body.push(
      `<rect class="legend ${seg.className}"${seg.fill ? ` fill="${seg.fill}"` : ''} x="${lx}" y="${ly}" width="10" height="10"/><text class="label" x="${lx + 14}" y="${ly + 9}">${esc(name)}</text>`,
    );
    lx += w;
  }
  return svg(id, width, ly + 16, body, id);
}
