/**
 * Why a `devcontainer up` failed, in a line, read from the CLI's message and the end of its log. The
 * CLI's own message is often only "Command failed: docker pull …"; the engine's answer in the log says
 * what actually happened, and a user acts differently on "no such image" than on "can't reach".
 */
export interface FailureCause {
  cause: string;
  /** The next step, without the log's location (the caller adds it). */
  advice: string | undefined;
}

/** Log lines that name a host the CLI could not reach without it mattering (it works offline). */
const HARMLESS = /Failed to fetch control manifest|Error fetching image details/i;

/** The cause of a failed CLI run, and what to do about it, from its message and the tail of its log. */
export function failureCause(message: string, tail: string[]): FailureCause {
  const lines = tail.filter((l) => !HARMLESS.test(l));
  const text = `${message}\n${lines.join('\n')}`;

  // The engine reached the registry, which answered that there is no such image or tag.
  const missing =
    /manifest for (\S+) not found/i.exec(text)?.[1] ??
    /pull access denied for ([^\s,]+), repository does not exist/i.exec(text)?.[1];
  if (missing) {
    const { registry, image } = splitReference(missing);
    return {
      cause: registry
        ? `the registry at ${registry} has no image ${image}`
        : `Docker Hub has no image ${image}`,
      advice: `Check the image name and tag in devcontainer.json${registry ? '' : ' (a private image needs `docker login`)'}.`,
    };
  }

  // `docker exec -u USER` (lifecycle hooks, the CLI's own probes) into an image without that user.
  const user = /unable to find user ([^\s:]+): no matching entries in passwd file/i.exec(text)?.[1];
  if (user) {
    return {
      cause: `the image has no user ${user} (remoteUser or containerUser in devcontainer.json)`,
      advice: 'Name a user the image has, or create it in a Dockerfile.',
    };
  }

  const host =
    /(?:ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH)\s+([\w.-]+(?::\d+)?)/.exec(text) ??
    /lookup ([\w.-]+)[^\n]*?: no such host/.exec(text) ??
    /dial tcp ([\w.-]+:\d+): (?:connect: )?(?:connection refused|i\/o timeout|no route to host)/.exec(text);
  if (host?.[1]) {
    return {
      cause: `can't reach ${host[1]}`,
      advice: `Check the network, or use an image or Feature that does not need ${host[1]}.`,
    };
  }

  // A Dockerfile step that failed: the classic builder's words, then BuildKit's.
  const step =
    /The command '(?:\/bin\/sh -c )?(.+)' returned a non-zero code: (\d+)/.exec(text) ??
    /process "(?:\/bin\/sh -c )?(.+)" did not complete successfully: exit code: (\d+)/.exec(text);
  if (step?.[1] && step[2]) {
    return {
      cause: `\`${short(step[1], 80)}\` exited with code ${step[2]}`,
      advice: 'Fix the Dockerfile and run `devc up` again.',
    };
  }

  return { cause: short(message.split('\n')[0]?.trim() ?? message, 140), advice: undefined };
}

/** `HOST[:PORT]/PATH:TAG` or a Docker Hub `PATH:TAG`: the first part is a registry if it looks like a host. */
function splitReference(reference: string): { registry: string | undefined; image: string } {
  const [first, ...rest] = reference.split('/');
  if (first && rest.length > 0 && (/[.:]/.test(first) || first === 'localhost'))
    return { registry: first, image: rest.join('/') };
  return { registry: undefined, image: reference.replace(/^docker\.io\//, '') };
}

function short(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
