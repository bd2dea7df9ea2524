export const REPORT_CSS = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dee7; --bg: #fff; --panel: #f6f8fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header.top { padding: 16px 32px 8px; border-bottom: 1px solid var(--line); background: var(--panel); }
h1 { margin: 0 0 6px; font-size: 22px; }
nav a { margin-right: 14px; color: #2458b3; text-decoration: none; font-size: 13px; }
main { padding: 8px 32px 32px; max-width: 1280px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.facts { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 16px 0 4px; }
.facts div { min-width: 110px; }
.facts dt { color: var(--muted); font-size: 12px; }
.facts dd { margin: 0; font-weight: 600; }
.note, .empty { color: var(--muted); font-size: 12px; }
.grid { display: flex; flex-wrap: wrap; gap: 16px; }
figure.chart { margin: 8px 0 12px; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 2px; }
svg.chart-svg { max-width: 100%; height: auto; display: block; }
svg .label { fill: var(--fg); }
svg .value { fill: var(--muted); font-size: 11px; }
svg .axis { stroke: #9aa3b2; stroke-width: 1; }
.c0 { fill: #3b6fd4; } .c1 { fill: #2f9e7a; } .c2 { fill: #e0684b; } .c3 { fill: #d9a21b; }
.c4 { fill: #8a5cc7; } .c5 { fill: #c7457f; } .c6 { fill: #6b7a8f; }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
th.num, td.num { text-align: right; padding-left: 10px; }
.samples { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 12px; }
.sample { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; background: var(--panel); overflow: hidden; }
.sample a { word-break: break-all; }
.prov { color: var(--muted); font-size: 12px; word-break: break-all; }
.sample pre { white-space: pre-wrap; word-break: break-word; font: 12px/1.45 ui-monospace, Menlo, Consolas, monospace; max-height: 180px; overflow: auto; background: #fff; border: 1px solid var(--line); padding: 6px; }
.hits { margin: 2px 0 0; padding-left: 18px; font-size: 12px; }
code { font-size: 12px; }
footer { padding: 16px 32px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); }
`;
