import type { Workspace } from '../workspace/model.js';
import type { Identity } from './identity.js';
import { escapeHtml, layout } from './pages.js';

/** When the workspace was last in use: now while it runs, else when it stopped (or started, or was made). */
export function lastUse(w: Workspace): string {
  if (w.state === 'running') return 'now';
  const at = w.stoppedAt ?? w.startedAt ?? w.createdAt;
  const date = at ? new Date(at) : undefined;
  return date && !Number.isNaN(date.getTime())
    ? `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`
    : '';
}

function row(w: Workspace): string {
  const n = escapeHtml(w.name);
  // The gateway makes local trees only from uploads: their path is devc's, not the user's business.
  const repository = w.repository.url.startsWith('/') ? 'uploaded folder' : w.repository.url;
  const running = w.state === 'running';
  const button = (act: string, label: string, enabled = true): string =>
    `<button type="button" data-act="${act}" data-name="${n}" aria-label="${label} ${n}"${enabled ? '' : ' disabled'}>${label}</button>`;
  return `<tr><td><a href="/w/${n}/">${n}</a></td><td>${escapeHtml(w.state)}</td><td>${escapeHtml(repository)}</td><td>${escapeHtml(w.repository.branch ?? '')}</td><td>${escapeHtml(lastUse(w))}</td><td>${button('open', 'Open')} ${button('stop', 'Stop', running)} ${button('files', 'Files', running)} ${button('delete', 'Delete')}</td></tr>`;
}

/**
 * `/`: the user's workspaces (state, repository, branch, last use) with open / stop / files / delete,
 * a field to open a repository, an upload of a devcontainer.json or a folder, and a file browser.
 * Plain HTML and a little inline script: no build step, no external assets; real buttons and labels.
 */
export function homePage(identity: Identity, workspaces: Workspace[]): string {
  const table = workspaces.length
    ? `<table><caption class="muted">Your workspaces</caption><thead><tr><th scope="col">Workspace</th><th scope="col">State</th><th scope="col">Repository</th><th scope="col">Branch</th><th scope="col">Last use</th><th scope="col">Actions</th></tr></thead><tbody>${workspaces.map(row).join('')}</tbody></table>`
    : '<p class="muted">No workspaces yet.</p>';
  return layout(
    'devc workspaces',
    `<h1>Workspaces of ${escapeHtml(identity.user)}</h1>
<form method="get" action="/open"><p><label for="repo">Open a repository</label><br><input id="repo" name="repo" type="text" placeholder="github/OWNER/REPO" required> <button>Open</button></p></form>
${table}<p id="status" role="status" aria-live="polite"></p>
<section aria-labelledby="files-title" id="files" hidden><h2 id="files-title">Files</h2><p id="files-path" class="muted"></p><ul id="files-list"></ul>
<form id="files-upload"><p><label for="files-file">Upload a file here</label><br><input id="files-file" type="file" required> <button>Upload file</button></p></form></section>
<h2>New workspace from an upload</h2>
<form id="upload"><p><label for="upload-file">A devcontainer.json, or a folder as .tar.gz</label><br><input id="upload-file" type="file" accept=".json,.tar.gz,.tgz,application/json,application/gzip"></p>
<p><label for="upload-name">Name (optional)</label><br><input id="upload-name" type="text" pattern="[A-Za-z0-9._-]*"></p>
<p><label for="upload-variant">Or no file, just a dev8 image</label><br><select id="upload-variant"><option value="">(none)</option><option>base</option><option>node</option><option>python</option><option>fullstack</option></select></p>
<p><button>Upload</button></p></form><pre id="log" aria-live="polite" hidden></pre>
<script>${SCRIPT}</script>`,
  );
}

/**
 * The page's buttons: API calls with the CSRF header. A refused delete offers "delete anyway"
 * (`?force=1`); an upload follows the new workspace's log, then opens its editor; the file browser
 * lists a folder, opens sub-folders, downloads files (links to the file API) and uploads into it.
 */
const SCRIPT = `const status = document.getElementById('status');
const api = (name) => '/api/v1/workspaces/' + encodeURIComponent(name);
async function call(method, url, body) {
  const r = await fetch(url, { method, headers: { 'X-Devc-Request': '1' }, body });
  const answer = await r.json().catch(() => ({}));
  return { ok: r.ok, status: r.status, body: answer, message: answer.message || r.statusText };
}
document.addEventListener('click', async (e) => {
  const b = e.target.closest('button[data-act]');
  if (!b) return;
  const name = b.dataset.name, act = b.dataset.act;
  if (act === 'open') { location.href = '/w/' + encodeURIComponent(name) + '/'; return; }
  if (act === 'files') { browse(name, '.'); return; }
  b.disabled = true; status.textContent = (act === 'stop' ? 'Stopping ' : 'Deleting ') + name + '…';
  let r = await call(act === 'stop' ? 'POST' : 'DELETE', act === 'stop' ? api(name) + '/stop' : api(name));
  if (!r.ok && act === 'delete' && confirm(r.message + '\\n\\nDelete anyway, losing that work?'))
    r = await call('DELETE', api(name) + '?force=1');
  if (r.ok) location.reload(); else { status.textContent = r.message; b.disabled = false; }
});
const files = { name: '', path: '.' };
async function browse(name, path) {
  const r = await fetch(api(name) + '/files?path=' + encodeURIComponent(path));
  const body = await r.json().catch(() => ({}));
  if (!r.ok) { status.textContent = body.message || r.statusText; return; }
  Object.assign(files, { name, path: body.path });
  document.getElementById('files').hidden = false;
  document.getElementById('files-title').textContent = 'Files of ' + name;
  document.getElementById('files-path').textContent = '/' + (body.path === '.' ? '' : body.path);
  const list = document.getElementById('files-list');
  list.replaceChildren();
  const join = (p, n) => (p === '.' ? n : p + '/' + n);
  const entries = body.path === '.' ? body.entries : [{ name: '..', type: 'dir', up: true }, ...body.entries];
  for (const entry of entries) {
    const li = document.createElement('li');
    if (entry.type === 'dir') {
      const open = document.createElement('button');
      open.type = 'button';
      open.textContent = entry.name + '/';
      open.setAttribute('aria-label', entry.up ? 'Up one folder' : 'Open folder ' + entry.name);
      open.onclick = () => browse(name, entry.up ? (body.path.split('/').slice(0, -1).join('/') || '.') : join(body.path, entry.name));
      li.append(open);
    } else {
      const a = document.createElement('a');
      a.href = api(name) + '/files?path=' + encodeURIComponent(join(body.path, entry.name));
      a.textContent = entry.name;
      a.setAttribute('download', entry.name);
      li.append(a, ' (' + entry.size + ' bytes)');
    }
    list.append(li);
  }
  document.getElementById('files-title').focus?.();
}
document.getElementById('files-upload').addEventListener('submit', async (e) => {
  e.preventDefault();
  const file = document.getElementById('files-file').files[0];
  if (!file) return;
  const target = (files.path === '.' ? '' : files.path + '/') + file.name;
  status.textContent = 'Uploading ' + target + '…';
  const r = await call('PUT', api(files.name) + '/files?path=' + encodeURIComponent(target), file);
  status.textContent = r.ok ? 'Uploaded ' + target + '.' : r.message;
  if (r.ok) browse(files.name, files.path);
});
document.getElementById('upload').addEventListener('submit', async (e) => {
  e.preventDefault();
  const file = document.getElementById('upload-file').files[0];
  const name = document.getElementById('upload-name').value;
  const variant = document.getElementById('upload-variant').value;
  const form = new FormData();
  if (name) form.append('name', name);
  if (variant) form.append('variant', variant);
  if (file) form.append(/\\.json$/i.test(file.name) ? 'devcontainer' : 'folder', file, file.name);
  status.textContent = 'Uploading…';
  const r = await call('POST', '/api/v1/workspaces', form);
  if (!r.ok) { status.textContent = r.message; return; }
  status.textContent = 'Making ' + r.body.name + '…';
  const log = document.getElementById('log');
  log.hidden = false;
  const events = new EventSource(r.body.logs);
  events.onmessage = (m) => { log.textContent += JSON.parse(m.data).text + '\\n'; };
  events.addEventListener('ready', () => { events.close(); location.href = r.body.url; });
  events.addEventListener('failed', (m) => { events.close(); status.textContent = JSON.parse(m.data).message; });
});`;
