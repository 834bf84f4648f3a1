import { AuthError, DevcError, EngineError } from '../../errors.js';

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { kind?: string; name?: string };
}

/** The HTTP status of a failed API call, or undefined for network errors. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (error: unknown): boolean => statusOf(error) === 404;

function bodyOf(error: unknown): StatusBody {
  const body = (error as { body?: unknown })?.body;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body };
    }
  }
  return (body as StatusBody | undefined) ?? {};
}

/**
 * Turns a failed API call into an error the user can act on. `verb` and `resource` name what devc
 * tried ("create", "pods"), so a refusal by RBAC says exactly which permission is missing.
 */
export function kubeError(error: unknown, verb: string, resource: string, namespace: string): DevcError {
  if (error instanceof DevcError) return error;
  const status = statusOf(error);
  const body = bodyOf(error);
  const message = body.message ?? (error instanceof Error ? error.message : String(error));
  if (status === 401) {
    return new AuthError('The Kubernetes API server refused the kubeconfig credentials (401 Unauthorized).', {
      hint: 'Log in to the cluster again (refresh the kubeconfig), then retry.',
      details: message,
    });
  }
  if (status === 403 && /exceeded quota|forbidden: failed quota|must specify/i.test(message)) {
    return new DevcError(`The namespace ${namespace} has no room for this workspace: ${message}`, {
      hint: 'Delete or stop other workspaces there, ask for a larger ResourceQuota, or use another --namespace.',
    });
  }
  if (status === 403) {
    return new AuthError(`You may not ${verb} ${resource} in namespace ${namespace}.`, {
      hint: `Ask a cluster admin for a Role that allows "${verb}" on "${resource}" there, or use another --namespace.`,
      details: message,
    });
  }
  if (status === undefined) {
    return new EngineError(`Can't reach the Kubernetes API server: ${message}`, {
      hint: 'Check that the cluster is up and that KUBECONFIG (or --context) points at it; `devc doctor` checks it.',
    });
  }
  return new DevcError(`Kubernetes refused to ${verb} ${resource} in ${namespace}: ${message}`, {
    hint: 'See the message above; `devc doctor` checks the cluster connection.',
  });
}

/** Runs an API call and classifies its failure. */
export async function call<T>(
  verb: string,
  resource: string,
  namespace: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw kubeError(error, verb, resource, namespace);
  }
}

/** Like `call`, but a missing object is null. */
export async function callOrNull<T>(
  verb: string,
  resource: string,
  namespace: string,
  fn: () => Promise<T>,
): Promise<T | null> {
  try {
    return await fn();
  } catch (error) {
    if (isNotFound(error)) return null;
    throw kubeError(error, verb, resource, namespace);
  }
}
