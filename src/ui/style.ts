/** The dashboard's one stylesheet, served as /static/hako.css (CSP: style-src 'self'). */
export const CSS = `:root{--bg:#f7f7f5;--fg:#1d1f21;--muted:#5d6166;--card:#fff;--line:#dcdcd7;--accent:#2b59c3;
--ok:#17663a;--ok-bg:#e3f4e8;--warn:#7a4b00;--warn-bg:#fff1d1;--bad:#a1121a;--bad-bg:#fde4e4;--off:#55595e;--off-bg:#ececea;--info:#1f4b99;--info-bg:#e4ecfb;
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
@media (prefers-color-scheme:dark){:root{--bg:#15171a;--fg:#e6e6e3;--muted:#a2a6ab;--card:#1e2125;--line:#34383d;--accent:#8fb0ff;
--ok:#8fdaa8;--ok-bg:#173524;--warn:#f2c873;--warn-bg:#3a2d10;--bad:#ff9a9a;--bad-bg:#43191b;--off:#b3b6ba;--off-bg:#2a2d31;--info:#a9c2ff;--info-bg:#1b2740}}
*{box-sizing:border-box}body{margin:0}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--card);padding:.5em 1em;z-index:9}.skip:focus{left:1em}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:1em 2em;padding:.7em 1.5em;background:var(--card);border-bottom:1px solid var(--line)}
.signout{margin-left:auto}
.brand{font-weight:700;font-size:1.1em}.logo{display:inline-block;width:.9em;height:.9em;margin-right:.35em;border:3px solid var(--accent);border-radius:3px;vertical-align:-.05em}
.project{font-weight:400;color:var(--muted);font-size:.85em;margin-left:.6em;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
nav ul{display:flex;gap:.3em;list-style:none;margin:0;padding:0;flex-wrap:wrap}
nav a{display:block;padding:.35em .8em;border-radius:6px;text-decoration:none;color:var(--fg)}
nav a:hover{background:var(--off-bg)}nav a[aria-current=page]{background:var(--accent);color:var(--card);font-weight:600}
main{padding:1em 1.5em 2em;max-width:1400px}main:focus{outline:none}
h1{font-size:1.5em;margin:.3em 0 .6em}h2{font-size:1.15em;margin:1.2em 0 .5em}h3{font-size:1em;margin:.2em 0 .4em}
.foot{color:var(--muted);font-size:.85em;padding:1em 1.5em;border-top:1px solid var(--line)}
.lead{color:var(--muted);margin:.2em 0 1em}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.92em}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:.8em;margin:0 0 1.2em;padding:0;list-style:none}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.8em 1em}
.card dl{display:grid;grid-template-columns:auto 1fr;gap:.15em .8em;margin:.4em 0 0}.card dt{color:var(--muted)}.card dd{margin:0;min-width:0;overflow-wrap:anywhere}
.badge{display:inline-block;padding:.05em .55em;border-radius:999px;font-size:.85em;font-weight:600;border:1px solid transparent;white-space:nowrap}
.badge.ok{color:var(--ok);background:var(--ok-bg);border-color:var(--ok)}
.badge.warn{color:var(--warn);background:var(--warn-bg);border-color:var(--warn)}
.badge.bad{color:var(--bad);background:var(--bad-bg);border-color:var(--bad)}
.badge.off{color:var(--off);background:var(--off-bg);border-color:var(--line)}
.badge.info{color:var(--info);background:var(--info-bg);border-color:var(--info)}
.summary{display:flex;flex-wrap:wrap;gap:.5em;margin:.2em 0 1em;padding:0;list-style:none}
.tablewrap{margin:0 0 1em;overflow:auto;max-height:75vh;border:1px solid var(--line);border-radius:8px;background:var(--card)}
table{border-collapse:collapse;width:100%}
th,td{padding:.35em .7em;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{position:sticky;top:0;background:var(--card);z-index:1;box-shadow:0 1px 0 var(--line)}
tbody th{font-weight:600;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;white-space:nowrap}
tbody tr:hover{background:var(--off-bg)}
td.c{white-space:nowrap}
.small{font-size:.85em;color:var(--muted)}
form.inline{display:inline}
.filters{display:flex;flex-wrap:wrap;gap:.6em;align-items:end;margin:0 0 1em}
.filters label{display:flex;flex-direction:column;font-size:.85em;color:var(--muted);gap:.2em}
input,select,button{font:inherit;padding:.35em .6em;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg)}
button{cursor:pointer;font-weight:600}
button.primary{background:var(--accent);color:var(--card);border-color:var(--accent)}
.notice{border:1px solid var(--line);border-left-width:6px;border-radius:8px;padding:.6em 1em;margin:0 0 1em;background:var(--card)}
.notice h2{margin:.2em 0 .3em;font-size:1.05em}
.notice.info{border-left-color:var(--info)}.notice.warn{border-left-color:var(--warn)}.notice.bad{border-left-color:var(--bad)}.notice.ok{border-left-color:var(--ok)}
.env{margin:0 0 1.5em}
ul.plain{margin:.3em 0;padding-left:1.2em}
`;
