/** The catalog page's stylesheet (small, no framework); down to a 390 px wide phone, wide tables scroll in place. */
export const STYLE_CSS = `:root { color-scheme: light dark; --fg: #1d2329; --muted: #6a737d; --line: #d8dee4; --bg: #fff; --head: #f4f6f8;
  --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --add-bg: #dafbe1; --del-bg: #ffebe9; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #8d96a0; --line: #30363d; --bg: #0d1117; --head: #161b22;
  --add-bg: #12361f; --del-bg: #4a1a1d; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { padding: 0 24px; max-width: 1280px; margin: 0 auto; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; border-bottom: 1px solid var(--line); }
h1 { font-size: 20px; } h1 a { color: inherit; text-decoration: none; }
h2 { font-size: 16px; margin-top: 28px; overflow-wrap: anywhere; } h3 { font-size: 14px; margin: 18px 0 6px; } h4 { margin: 14px 0 4px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
code, .mono { overflow-wrap: anywhere; }
pre { background: var(--head); border: 1px solid var(--line); padding: 10px; overflow: auto; max-height: 420px; }
.scroll { overflow-x: auto; max-width: 100%; }
table.grid { border-collapse: collapse; width: 100%; }
.grid th, .grid td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
.grid th { background: var(--head); font-weight: 600; white-space: nowrap; }
.grid td.num { text-align: right; white-space: nowrap; }
.grid td.tags div { white-space: nowrap; }
tr.clickable { cursor: pointer; } tr.clickable:hover td { background: var(--head); }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; border: 1px solid currentColor; font-size: 12px; white-space: nowrap; }
.s-verified, .o-success, .o-installed, .i-active { color: var(--ok); }
.s-failed, .o-failed { color: var(--bad); }
.s-unverified, .s-unknown, .i-pending-review, .o-retired { color: var(--warn); }
.s-unsigned, .o-unchanged, .o-mirrored, .i-retired { color: var(--muted); }
.error { border: 1px solid var(--bad); color: var(--bad); padding: 8px 12px; margin-top: 16px; overflow-wrap: anywhere; }
.packs-cell div { margin: 1px 0; }
form.inline, form.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 12px 0 8px; }
form.filters input, form.filters select { font: inherit; padding: 3px 6px; min-width: 0; }
form.filters #f-q { flex: 1 1 220px; }
form.filters #f-id, form.filters #f-version { flex: 0 1 120px; }
.pager { display: flex; gap: 16px; margin: 10px 0; }
.back { margin: 12px 0 0; }
.added { color: var(--ok); } .removed { color: var(--bad); } .changed { color: var(--warn); }
pre.line-diff { padding: 0; } pre.line-diff span { display: block; padding: 0 10px; white-space: pre; }
.l-add { background: var(--add-bg); } .l-del { background: var(--del-bg); } .l-hunk { color: var(--muted); }
.graph svg { display: block; font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.graph .node rect { fill: var(--head); stroke: var(--line); }
.graph .node.root rect { stroke: var(--ok); stroke-width: 2; }
.graph .node.missing rect { stroke: var(--bad); stroke-dasharray: 4 3; }
.graph .node text { fill: var(--fg); } .graph a .node text { fill: #0969da; text-decoration: underline; }
.graph .edge { fill: none; stroke: var(--muted); } .graph .arrow { fill: var(--muted); }
footer { margin: 32px auto; }
@media (max-width: 600px) { header, main, footer { padding: 0 12px; } .grid th, .grid td { padding: 4px 5px; } }
`;
