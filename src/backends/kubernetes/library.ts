import type * as k8s from '@kubernetes/client-node';
import type * as Client from './client-bundle.js';

/** What devc uses of @kubernetes/client-node (client-bundle.ts). */
export type KubernetesClient = typeof Client;

// Made by `npm run build` from client-bundle.ts (see there).
const BUNDLE = new URL('../../vendor/kubernetes-client.js', import.meta.url).href;

/**
 * The client library, loaded on first use: the one-file bundle the build makes (~0.1 s to load),
 * else the package through client-bundle.ts (~0.5 s), e.g. when tests run the TypeScript sources.
 */
export async function kubernetesClient(): Promise<KubernetesClient> {
  try {
    return (await import(BUNDLE)) as KubernetesClient;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    return import('./client-bundle.js');
  }
}

/** Request options for a JSON merge patch (the generated client sends JSON Patch unless told otherwise). */
export async function mergePatch(): Promise<k8s.ConfigurationOptions> {
  const { setHeaderOptions, PatchStrategy } = await kubernetesClient();
  return setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
}
