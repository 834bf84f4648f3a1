// Helpers for the Kubernetes backend's e2e tests: namespaces, a restricted user, cleanup by label.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { loadKubeConfig } from './cluster.js';

export const LABEL = 'dev.devc.workspace';
const PKI = process.env.DEVC_CLUSTER_STATE
  ? path.join(process.env.DEVC_CLUSTER_STATE, 'pki')
  : '/var/lib/devc-cluster/pki';

export function api(): { core: k8s.CoreV1Api; rbac: k8s.RbacAuthorizationV1Api; net: k8s.NetworkingV1Api } {
  const kc = loadKubeConfig();
  return {
    core: kc.makeApiClient(k8s.CoreV1Api),
    rbac: kc.makeApiClient(k8s.RbacAuthorizationV1Api),
    net: kc.makeApiClient(k8s.NetworkingV1Api),
  };
}

export async function createNamespace(name: string): Promise<void> {
  await api().core.createNamespace({ body: { metadata: { name, labels: { 'dev.devc.test': 'backend' } } } });
}

/** Deletes the namespace (and so everything in it); does not wait. */
export async function deleteNamespace(name: string): Promise<void> {
  await api()
    .core.deleteNamespace({ name })
    .catch(() => undefined);
}

/** Every devc object (pods, PVCs, Secrets, NetworkPolicies) in the namespace, as "kind/name". */
export async function devcObjects(namespace: string, workspace?: string): Promise<string[]> {
  const labelSelector = workspace ? `${LABEL}=${workspace}` : LABEL;
  const { core, net } = api();
  const [pods, pvcs, secrets, policies] = await Promise.all([
    core.listNamespacedPod({ namespace, labelSelector }),
    core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector }),
    core.listNamespacedSecret({ namespace, labelSelector }),
    net.listNamespacedNetworkPolicy({ namespace, labelSelector }),
  ]);
  return [
    ...pods.items.map((o) => `pod/${o.metadata?.name}`),
    ...pvcs.items.map((o) => `pvc/${o.metadata?.name}`),
    ...secrets.items.map((o) => `secret/${o.metadata?.name}`),
    ...policies.items.map((o) => `networkpolicy/${o.metadata?.name}`),
  ];
}

/** get and list on everything: a user who may look but not make anything. */
export const READ_ONLY: k8s.V1PolicyRule[] = [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list'] }];

/**
 * A kubeconfig for a user with only `rules` in `namespace` (read-only by default): a client
 * certificate signed by the test cluster's CA, and a Role with those rules.
 */
export async function restrictedKubeconfig(
  namespace: string,
  user: string,
  rules: k8s.V1PolicyRule[] = READ_ONLY,
): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-k8s-user-'));
  const key = path.join(dir, 'user.key');
  const csr = path.join(dir, 'user.csr');
  const crt = path.join(dir, 'user.crt');
  await execa('openssl', ['genrsa', '-out', key, '2048']);
  await execa('openssl', ['req', '-new', '-key', key, '-subj', `/CN=${user}`, '-out', csr]);
  await execa('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    path.join(PKI, 'ca.crt'),
    '-CAkey',
    path.join(PKI, 'ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-out',
    crt,
  ]);
  const { rbac } = api();
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name: 'read-only' },
      rules,
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'read-only' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-only' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }],
    },
  });
  const admin = loadKubeConfig();
  const server = admin.getCurrentCluster()?.server ?? 'https://127.0.0.1:6443';
  const b64 = async (f: string): Promise<string> => (await readFile(f)).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'test',
        cluster: { server, 'certificate-authority-data': await b64(path.join(PKI, 'ca.crt')) },
      },
    ],
    users: [
      { name: user, user: { 'client-certificate-data': await b64(crt), 'client-key-data': await b64(key) } },
    ],
    contexts: [{ name: 'restricted', context: { cluster: 'test', user, namespace } }],
    'current-context': 'restricted',
  };
  const file = path.join(dir, 'kubeconfig');
  await writeFile(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}
