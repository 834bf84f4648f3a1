#!/usr/bin/env node
// The test cluster's default storage: a local-path provisioner, as kind, k3s and minikube ship. Each
// claim of StorageClass `devc-local` gets a fresh folder on the node, mode 0777 (any pod user may
// write to it, as on those clusters; cloud disks give the same through fsGroup), as a hostPath volume
// bound to that claim; a released volume's folder and object are deleted.
//
//   node provisioner.mjs SERVER CA CERT KEY DIR
//
// Only Node built-ins: cluster.sh runs it before anything is installed. It watches claims and
// volumes through the API server (a broken watch is listed again after a second) and logs one line
// per action.
import { readFileSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';

const [server, caFile, certFile, keyFile, root] = process.argv.slice(2);
if (!root) {
  console.error('usage: provisioner.mjs SERVER CA CERT KEY DIR');
  process.exit(2);
}
const PROVISIONER = 'devc.test/local-path';
const CLASS = 'devc-local';
const agent = new https.Agent({
  ca: readFileSync(caFile),
  cert: readFileSync(certFile),
  key: readFileSync(keyFile),
  keepAlive: true,
});
const log = (line) => console.log(`${new Date().toISOString()} ${line}`);

function request(method, url, body) {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(url, server),
      { method, agent, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Calls `onObject` for every object of the list and then every change, forever. */
async function watch(url, onObject) {
  for (;;) {
    try {
      const list = await request('GET', url);
      for (const item of list.body.items ?? []) await onObject(item);
      await new Promise((resolve, reject) => {
        const rv = list.body.metadata?.resourceVersion ?? '';
        const req = https.get(new URL(`${url}?watch=1&resourceVersion=${rv}`, server), { agent }, (res) => {
          let pending = '';
          let chain = Promise.resolve();
          res.setEncoding('utf8');
          res.on('data', (d) => {
            pending += d;
            let nl;
            while ((nl = pending.indexOf('\n')) >= 0) {
              const event = JSON.parse(pending.slice(0, nl));
              pending = pending.slice(nl + 1);
              if (event.type === 'ERROR') req.destroy();
              else if (event.type !== 'DELETED') chain = chain.then(() => onObject(event.object)).catch(fail);
            }
          });
          res.on('end', resolve);
          res.on('error', reject);
        });
        req.on('error', reject);
      });
    } catch (error) {
      log(`watch ${url}: ${error.message}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const fail = (error) => log(`error: ${error.message}`);
const folderOf = (claim) =>
  path.join(root, `${claim.metadata.namespace}_${claim.metadata.name}_${claim.metadata.uid}`);

async function provision(claim) {
  const wanted = claim.metadata.annotations?.['volume.kubernetes.io/storage-provisioner'];
  if (wanted !== PROVISIONER || claim.spec.volumeName || claim.status?.phase !== 'Pending') return;
  const folder = folderOf(claim);
  await mkdir(folder, { recursive: true });
  await chmod(folder, 0o777); // the umask took some bits away
  const volume = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name: `pvc-${claim.metadata.uid}`,
      annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER },
    },
    spec: {
      capacity: { storage: claim.spec.resources.requests.storage },
      accessModes: claim.spec.accessModes,
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: CLASS,
      volumeMode: 'Filesystem',
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: claim.metadata.namespace,
        name: claim.metadata.name,
        uid: claim.metadata.uid,
      },
      hostPath: { path: folder, type: 'Directory' },
    },
  };
  const made = await request('POST', '/api/v1/persistentvolumes', volume);
  if (made.status === 201)
    log(`provisioned ${volume.metadata.name} for ${claim.metadata.namespace}/${claim.metadata.name}`);
  else if (made.status !== 409)
    log(`can't provision ${claim.metadata.namespace}/${claim.metadata.name}: ${made.body.message}`);
}

async function reclaim(volume) {
  if (volume.metadata.annotations?.['pv.kubernetes.io/provisioned-by'] !== PROVISIONER) return;
  if (volume.status?.phase !== 'Released' && volume.status?.phase !== 'Failed') return;
  const folder = volume.spec.hostPath?.path;
  if (folder && path.dirname(folder) === root) await rm(folder, { recursive: true, force: true });
  const gone = await request('DELETE', `/api/v1/persistentvolumes/${volume.metadata.name}`);
  if (gone.status < 300) log(`deleted ${volume.metadata.name}`);
}

await mkdir(root, { recursive: true });
log(`provisioning ${CLASS} (${PROVISIONER}) under ${root}`);
void watch('/api/v1/persistentvolumeclaims', provision);
void watch('/api/v1/persistentvolumes', reclaim);
