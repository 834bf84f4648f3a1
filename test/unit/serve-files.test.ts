import { describe, expect, it } from 'vitest';
import { parseListing, parseSize, workspaceFilePath } from '../../src/serve/files.js';
import { isLoopback } from '../../src/serve/identity.js';
import { Metrics } from '../../src/serve/metrics.js';
import { homePage, lastUse } from '../../src/serve/home.js';
import type { Workspace } from '../../src/workspace/model.js';

describe('workspaceFilePath', () => {
  it('keeps paths inside the workspace folder, normalised', () => {
    expect(workspaceFilePath('README.md')).toBe('README.md');
    expect(workspaceFilePath('docs//a/./b.txt')).toBe('docs/a/b.txt');
    expect(workspaceFilePath('docs/')).toBe('docs');
    expect(workspaceFilePath('')).toBe('.');
    expect(workspaceFilePath('.')).toBe('.');
  });

  it('refuses absolute paths, .. anywhere, and NUL', () => {
    for (const p of ['/etc/passwd', '../x', 'a/../../x', 'a/..', '..', 'a\0b', null])
      expect(workspaceFilePath(p), String(p)).toBeUndefined();
  });
});

describe('parseSize', () => {
  it('reads sizes with binary units', () => {
    expect(parseSize('1G')).toBe(1024 ** 3);
    expect(parseSize('512M')).toBe(512 * 1024 ** 2);
    expect(parseSize('1k')).toBe(1024);
    expect(parseSize('1000')).toBe(1000);
    expect(parseSize('2GiB')).toBe(2 * 1024 ** 3);
  });

  it('refuses anything else', () => {
    expect(() => parseSize('lots')).toThrow(/is not a size/);
    expect(() => parseSize('-1')).toThrow(/is not a size/);
  });
});

describe('parseListing', () => {
  it('reads find -printf entries and drops names a workspace should not send', () => {
    const text = 'f 12 b.txt\0d 4096 a dir\0l 4 link\0f 1 new\nline\0f 3 x/y\0';
    expect(parseListing(text)).toEqual([
      { name: 'a dir', type: 'dir', size: 4096 },
      { name: 'b.txt', type: 'file', size: 12 },
      { name: 'link', type: 'link', size: 4 },
      { name: 'new\nline', type: 'file', size: 1 },
    ]);
  });
});

describe('Metrics', () => {
  it('renders the Prometheus text format', () => {
    const m = new Metrics();
    m.coldStart.observe(3);
    m.request('api', 200);
    m.request('api', 200);
    m.request('page', 401);
    m.webSockets = 2;
    const text = m.render({ running: 2, stopped: 1 });
    expect(text).toContain('devc_workspaces{state="running"} 2\ndevc_workspaces{state="stopped"} 1');
    expect(text).toContain(
      'devc_cold_start_seconds_bucket{le="2"} 0\ndevc_cold_start_seconds_bucket{le="5"} 1',
    );
    expect(text).toContain('devc_cold_start_seconds_bucket{le="+Inf"} 1\ndevc_cold_start_seconds_sum 3');
    expect(text).toContain('devc_wake_seconds_count 0');
    expect(text).toContain('devc_websocket_sessions 2');
    expect(text).toContain('devc_requests_total{route="api",status="200"} 2');
    expect(text).toContain('devc_requests_total{route="page",status="401"} 1');
    expect(text.endsWith('\n')).toBe(true);
  });
});

describe('homePage', () => {
  it('gives each workspace real, labelled buttons, escaped; stop only when running', () => {
    const w = (name: string, state: string) =>
      ({ name, state, repository: { url: 'http://git/x<y>', branch: 'main' } }) as unknown as Workspace;
    const page = homePage({ user: 'a"b', groups: [] }, [w('shop-a', 'running'), w('docs-a', 'stopped')]);
    expect(page).toContain(
      '<button type="button" data-act="stop" data-name="shop-a" aria-label="Stop shop-a">',
    );
    expect(page).toContain('data-act="stop" data-name="docs-a" aria-label="Stop docs-a" disabled>');
    expect(page).toContain('aria-label="Delete docs-a"');
    expect(page).toContain('x&#60;y&#62;');
    expect(page).toContain('a&#34;b');
    expect(page).toContain('data-act="files" data-name="docs-a" aria-label="Files docs-a" disabled>');
    expect(page).toContain('<label for="repo">Open a repository</label>');
    expect(page).toContain('<label for="upload-file">');
  });

  it('says when a workspace was last used: now while it runs, else when it stopped', () => {
    const w = (state: string, stoppedAt?: string) =>
      ({ state, stoppedAt, createdAt: '2026-01-01T00:00:00Z' }) as unknown as Workspace;
    expect(lastUse(w('running'))).toBe('now');
    expect(lastUse(w('stopped', '2026-03-04T05:06:07Z'))).toBe('2026-03-04 05:06 UTC');
    expect(lastUse(w('stopped'))).toBe('2026-01-01 00:00 UTC');
  });
});

describe('isLoopback', () => {
  it('knows loopback addresses in the forms sockets report them', () => {
    for (const a of ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1'])
      expect(isLoopback(a), a).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '::', '']) expect(isLoopback(a), a).toBe(false);
  });
});
