/** Text for HTML: every character that could start markup or end an attribute, escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:52rem;padding:0 1rem;color:#1d2125}
h1{font-size:1.3rem}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd}
pre{background:#f4f5f6;padding:1rem;max-height:60vh;overflow:auto;white-space:pre-wrap}.muted{color:#667}
input[type=text]{width:60%;padding:.3rem}button{padding:.3rem .8rem}
:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}caption{text-align:left}ul{padding-left:1.2rem}`;

/** A whole page: the shared style, no external assets. */
export function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>\n`;
}

/** A status page: what happened and what to do, readable at a glance. */
export function messagePage(status: number, message: string, hint?: string): string {
  return layout(
    `devc: ${status}`,
    `<h1>${escapeHtml(message)}</h1>${hint ? `<p>${escapeHtml(hint)}</p>` : ''}<p><a href="/">Your workspaces</a></p>`,
  );
}

/**
 * Shown while a workspace is made or woken: streams its log (`/api/v1/workspaces/NAME/logs`, server-sent
 * events) and goes on to the editor by itself once the gateway says it is ready.
 */
export function waitingPage(name: string, repository: string, editor = `/w/${name}/`): string {
  const n = escapeHtml(name);
  return layout(
    `Starting ${name}`,
    `<h1>Starting ${n}</h1><p class="muted">${escapeHtml(repository)}</p><pre id="log" aria-live="polite"></pre>
<script>
const log = document.getElementById('log');
const events = new EventSource('/api/v1/workspaces/${n}/logs');
events.onmessage = (e) => { log.textContent += JSON.parse(e.data).text + '\\n'; log.scrollTop = log.scrollHeight; };
events.addEventListener('ready', () => { events.close(); location.replace(${JSON.stringify(editor).replace(/</g, '\\u003c')}); });
events.addEventListener('failed', (e) => { events.close(); log.textContent += '\\n' + JSON.parse(e.data).message + '\\n'; });
</script>`,
  );
}
