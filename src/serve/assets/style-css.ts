/** The catalog page's stylesheet (small, no framework). */
export const STYLE_CSS = `:root { color-scheme: light dark; --fg: #1d2329; --muted: #6a737d; --line: #d8dee4; --bg: #fff; --head: #f4f6f8;
  --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #8d96a0; --line: #30363d; --bg: #0d1117; --head: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { padding: 0 24px; max-width: 1280px; margin: 0 auto; }
header { display: flex; align-items: baseline; gap: 16px; border-bottom: 1px solid var(--line); }
h1 { font-size: 20px; } h1 a { color: inherit; text-decoration: none; }
h2 { font-size: 16px; margin-top: 28px; } h3 { font-size: 14px; margin: 18px 0 6px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
pre { background: var(--head); border: 1px solid var(--line); padding: 10px; overflow: auto; max-height: 420px; }
table.grid { border-collapse: collapse; width: 100%; }
.grid th, .grid td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
.grid th { background: var(--head); font-weight: 600; }
.grid td.num { text-align: right; white-space: nowrap; }
tr.clickable { cursor: pointer; } tr.clickable:hover td { background: var(--head); }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; border: 1px solid currentColor; font-size: 12px; white-space: nowrap; }
.s-verified, .o-success, .o-installed, .i-active { color: var(--ok); }
.s-failed, .o-failed { color: var(--bad); }
.s-unverified, .s-unknown, .i-pending-review, .o-retired { color: var(--warn); }
.s-unsigned, .o-unchanged, .o-mirrored, .i-retired { color: var(--muted); }
.error { border: 1px solid var(--bad); color: var(--bad); padding: 8px 12px; margin-top: 16px; }
.packs-cell div { margin: 1px 0; }
form.inline { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
.added { color: var(--ok); } .removed { color: var(--bad); } .changed { color: var(--warn); }
footer { margin: 32px auto; }
`;
