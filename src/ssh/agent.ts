import { connect } from 'node:net';
import { DevcError } from '../errors.js';

/** The local ssh-agent devc may forward: its socket and how many keys it holds. */
export interface LocalAgent {
  socket: string;
  keys: number;
}

const REQUEST_IDENTITIES = 11;
const IDENTITIES_ANSWER = 12;

/**
 * The ssh-agent at SSH_AUTH_SOCK, asked for its key count (the agent protocol's own question, as
 * `ssh-add -l` asks it). Fails with a one-line error when none is set or it does not answer.
 */
export async function localAgent(env: NodeJS.ProcessEnv, timeoutMs = 3000): Promise<LocalAgent> {
  const socket = env.SSH_AUTH_SOCK;
  if (!socket)
    throw new DevcError('There is no ssh-agent to forward: SSH_AUTH_SOCK is not set.', {
      hint: 'Start one and add your key (`eval "$(ssh-agent)"` then `ssh-add`), or leave out -A.',
    });
  try {
    return { socket, keys: await identityCount(socket, timeoutMs) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DevcError(`The ssh-agent at SSH_AUTH_SOCK (${socket}) does not answer: ${reason}.`, {
      hint: 'Start a new one (`eval "$(ssh-agent)"` then `ssh-add`) in this shell, or leave out -A.',
    });
  }
}

/** Sends SSH_AGENTC_REQUEST_IDENTITIES and reads the count from the answer. */
function identityCount(socket: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    let received = Buffer.alloc(0);
    const fail = (message: string): void => {
      conn.destroy();
      reject(new Error(message));
    };
    conn.setTimeout(timeoutMs, () => fail('no answer in time'));
    conn.on('error', (error: NodeJS.ErrnoException) =>
      fail(error.code === 'ENOENT' ? 'no such socket' : (error.code ?? error.message)),
    );
    conn.on('connect', () => conn.write(Buffer.from([0, 0, 0, 1, REQUEST_IDENTITIES])));
    conn.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 9) return;
      conn.destroy();
      if (received[4] !== IDENTITIES_ANSWER) reject(new Error('not an ssh-agent'));
      else resolve(received.readUInt32BE(5));
    });
    conn.on('end', () => fail('it closed the connection'));
  });
}
