// What devc uses of @kubernetes/client-node, in one place. `npm run build` bundles this file (with
// esbuild) into dist/vendor/kubernetes-client.js: the package is ~2,500 modules (its generated API and
// models) that Node loads one by one in ~0.5 s, the bundle loads in ~0.1 s, and every Kubernetes
// command (and the forwarder, and ssh's ProxyCommand) pays it. library.ts chooses between the two.
// Its whitespace and syntax are minified (names kept, for stack traces): 6.3 MB → 2.7 MB, ~20 % less
// CPU to load (~80 ms instead of ~100 ms), which a loaded machine feels most.
export {
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  Exec,
  KubeConfig,
  Log,
  NetworkingV1Api,
  PatchStrategy,
  PortForward,
  setHeaderOptions,
  StorageV1Api,
  Watch,
} from '@kubernetes/client-node';
// The WebSocket client client-node itself uses (portforward.ts talks to the port-forward directly).
export { WebSocket } from 'ws';
