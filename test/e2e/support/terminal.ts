// A real terminal for tests: tmux (its own server socket) runs a shell, the shell runs the built
// devc; the test types keys and reads the screen.
import { execa } from 'execa';

export const PROMPT = 'DEVC-TEST-PROMPT$';

/** The screen line of a workspace's row in the dashboard ("› name  state …" or "  name  state …"). */
export function row(s: string, name: string): string {
  return s.split('\n').find((line) => line.slice(2).startsWith(`${name} `)) ?? '';
}

export class Terminal {
  /** `socket`: tmux's server name (one per test file); `env`: the user's environment (DEVC_HOME…). */
  constructor(
    private readonly socket: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async tmux(...args: string[]): Promise<string> {
    const result = await execa('tmux', ['-L', this.socket, ...args], { reject: false, env: this.userEnv() });
    if (result.exitCode !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${String(result.stderr)}`);
    return String(result.stdout);
  }

  /** A session `dash` of width×height running the user's shell, once its prompt shows. */
  async start(width = 100, height = 30): Promise<void> {
    await this.tmux(
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-s',
      'dash',
      '-x',
      String(width),
      '-y',
      String(height),
      this.shellCommand(),
    );
    await this.waitForScreen('the shell prompt', (s) => s.includes(PROMPT), 30_000);
  }

  screen(): Promise<string> {
    return this.tmux('capture-pane', '-p', '-t', 'dash');
  }

  keys(...k: string[]): Promise<string> {
    return this.tmux('send-keys', '-t', 'dash', ...k);
  }

  text(t: string): Promise<string> {
    return this.tmux('send-keys', '-t', 'dash', '-l', t);
  }

  /** Polls the screen until `check` accepts it; fails with the last screen. Bounded by a deadline. */
  async waitForScreen(what: string, check: (s: string) => boolean, timeoutMs = 120_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = await this.screen();
      if (check(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`screen never showed ${what}; last screen:\n${last}`);
  }

  async close(): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'kill-server'], { reject: false });
  }

  /** The environment of a user at a terminal: no CI, UTF-8, a known prompt. */
  private userEnv(): NodeJS.ProcessEnv {
    const e: NodeJS.ProcessEnv = { ...this.env, PS1: PROMPT, TERM: 'xterm-256color', LANG: 'C.UTF-8' };
    delete e.CI;
    return e;
  }

  /** The pane's shell, with exactly that environment (tmux would hand it its own). */
  private shellCommand(): string {
    const e = this.userEnv();
    const names = ['PATH', 'HOME', 'DEVC_HOME', 'DEVC_GITHUB_URL', 'TERM', 'LANG', 'PS1'];
    names.push(...['KUBECONFIG', 'DEVC_REGISTRY', 'DEVC_NAMESPACE'].filter((k) => e[k] !== undefined));
    const vars = names.map((k) => `${k}='${(e[k] ?? '').replace(/'/g, `'\\''`)}'`);
    return `env -i ${vars.join(' ')} bash --norc --noprofile`;
  }
}
