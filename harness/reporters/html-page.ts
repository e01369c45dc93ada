import { esc } from './format.ts';

/**
 * The shell shared by report.html and trend.html: one self-contained file (no scripts, fonts or
 * stylesheets fetched from anywhere), light and dark through prefers-color-scheme.
 */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

const CSS = `
:root{--bg:#f6f7f9;--panel:#fff;--fg:#1c2430;--muted:#5b6675;--line:#dde2e8;--grid:#eceff3;
--baseline:#2563eb;--candidate:#d9480f;--pass:#1a7f37;--pass-bg:#e6f4ea;--fail:#c62828;--fail-bg:#fdecea;
--warn:#9a6700;--warn-bg:#fff4d6;--none:#475569;--none-bg:#eef2f6;--band:rgba(100,116,139,.08);--code:#f1f3f6}
@media (prefers-color-scheme:dark){:root{--bg:#0f141a;--panel:#171d25;--fg:#e3e8ee;--muted:#98a3b1;--line:#2a333e;--grid:#222a33;
--baseline:#6ea8fe;--candidate:#ff8a4c;--pass:#4ac26b;--pass-bg:#12261a;--fail:#ff6b6b;--fail-bg:#2d1416;
--warn:#e3b341;--warn-bg:#2b2410;--none:#9fb0c3;--none-bg:#1c2530;--band:rgba(148,163,184,.09);--code:#10161d}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:14px;margin:18px 0 8px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.meta{color:var(--muted);margin:0 0 14px}.meta code{color:var(--fg)}
code,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--code);border:1px solid var(--line);border-radius:6px;padding:8px 10px;overflow:auto;white-space:pre-wrap;word-break:break-all;margin:6px 0}
.banner{display:flex;gap:18px;align-items:center;border-radius:10px;padding:16px 20px;margin:14px 0 8px;border:1px solid}
.banner .word{font-size:30px;font-weight:800;letter-spacing:.04em}
.banner .what{font-weight:600}.banner ul{margin:6px 0 0;padding-left:18px}
.banner.pass{background:var(--pass-bg);border-color:var(--pass);color:var(--pass)}
.banner.fail{background:var(--fail-bg);border-color:var(--fail);color:var(--fail)}
.banner.inconclusive{background:var(--warn-bg);border-color:var(--warn);color:var(--warn)}
.banner.none{background:var(--none-bg);border-color:var(--line);color:var(--none)}
.banner .detail{color:var(--fg)}
.callout{border-left:4px solid var(--warn);background:var(--warn-bg);padding:8px 12px;border-radius:4px;margin:8px 0}
.callout.bad{border-color:var(--fail);background:var(--fail-bg)}
table{border-collapse:collapse;width:100%;background:var(--panel);border:1px solid var(--line);border-radius:8px;overflow:hidden}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600;background:var(--panel)}
tr:last-child td{border-bottom:0}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}th.n{text-align:right}
.pill{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:700;text-transform:uppercase;letter-spacing:.03em}
.pill.pass{background:var(--pass-bg);color:var(--pass)}.pill.fail{background:var(--fail-bg);color:var(--fail)}
.pill.warn,.pill.inconclusive{background:var(--warn-bg);color:var(--warn)}.pill.none,.pill.unjudged{background:var(--none-bg);color:var(--none)}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:14px;margin:12px 0}
.chart{margin:0;background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.chart figcaption{font-weight:600;margin-bottom:4px}.chart svg{width:100%;height:auto;display:block}
.chart .grid{stroke:var(--grid)}.chart .axis{stroke:var(--muted)}
.chart text{fill:var(--muted);font-size:11px}.chart .label{font-size:11.5px}
.chart .series{fill:none;stroke-width:2}.chart .dot{stroke:var(--panel);stroke-width:1.5}
.chart .band rect{fill:var(--band)}.chart .band.alt rect{fill:transparent}.chart .band line{stroke:var(--muted);stroke-dasharray:3 3;opacity:.6}.chart .band text{font-size:10.5px}
.s-baseline{stroke:var(--baseline);fill:var(--baseline);color:var(--baseline)}
.s-candidate{stroke:var(--candidate);fill:var(--candidate);color:var(--candidate)}
path.dash{stroke-dasharray:6 4}path.dot2{stroke-dasharray:2 3}
.chart path.series{fill:none}.absent{color:var(--muted);font-style:italic}
.legend{display:flex;gap:14px;flex-wrap:wrap;font-size:12px;color:var(--muted);margin-top:4px}
.key i{display:inline-block;width:18px;height:0;border-top:3px solid currentColor;vertical-align:middle;margin-right:5px}
.key.box i{width:11px;height:11px;border:0;background:currentColor;border-radius:2px}.key.dash i{border-top-style:dashed}.key.dot2 i{border-top-style:dotted}
.note{color:var(--muted);font-size:12px;margin:4px 0 0}
.meter{display:inline-block;width:90px;height:8px;background:var(--grid);border-radius:4px;vertical-align:middle;margin-right:8px;overflow:hidden}
.meter b{display:block;height:100%;background:currentColor}
details{background:var(--panel);border:1px solid var(--line);border-radius:8px;margin:8px 0;padding:0 12px}
details[open]{padding-bottom:10px}summary{cursor:pointer;padding:9px 0;font-weight:600}
.kind{font-size:11px;font-weight:700;text-transform:uppercase;color:var(--muted)}
.delta-bad{color:var(--fail)}.delta-good{color:var(--pass)}
footer{margin-top:36px;color:var(--muted);font-size:12px}
`;
