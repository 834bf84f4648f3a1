import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, uniquePrefix, removeHome } from './support/devc.js';
import { dockerOut, removeWorkspaces, workspaceContainers } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';

// One workspace plays the attacker: it plants what a hostile repository (or anything running in the
// workspace) could, and each host-side command must neither run nor write anything on the host.
// "On the host" is told apart from "in the container" by host-only paths: `sandbox` is a folder made
// here, outside DEVC_HOME and outside every bind mount, so only a command run on this machine reaches it.

const prefix = uniquePrefix('hw');
const ws = `${prefix}-evil`;
let git: GitServer;
let env: NodeJS.ProcessEnv;
/** Host-only: markers that must never appear, and a canary that must survive. */
let sandbox: string;
let markers: string;
let canary: string;
/** devc's TMPDIR, to see that it leaves no temporary folder behind. */
let tmp: string;
/** The workspace's clone, as the host sees it. */
let clone: string;

const inside = (script: string) => devc(['exec', '-w', ws, '--', '/bin/sh', '-c', script], env);
const planted = async (script: string) => {
  const run = await inside(`set -e\n${script}`);
  expect(run.exitCode, `${script}\n${run.stderr}`).toBe(0);
};
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

beforeAll(async () => {
  git = await startGitServer();
  sandbox = mkdtempSync(path.join(os.tmpdir(), 'devc-hostile-'));
  markers = path.join(sandbox, 'markers');
  canary = path.join(sandbox, 'canary.txt');
  tmp = path.join(sandbox, 'tmp');
  mkdirSync(markers);
  mkdirSync(tmp);
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  await git.createRepo(`acme/${ws}`, { 'README.md': '# evil\n' });
  const up = await devc(['up', `acme/${ws}`, '--idle-timeout', '0'], env);
  expect(up.exitCode, up.stderr).toBe(0);
  clone = await dockerOut(['inspect', '-f', '{{index .Config.Labels "dev.devc.source"}}', `devc-${ws}`]);
  expect(existsSync(path.join(clone, '.git'))).toBe(true);
  await planted('cp .git/config /tmp/devc-config.orig');
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
  if (sandbox) rmSync(sandbox, { recursive: true, force: true });
  await removeHome(env?.DEVC_HOME);
});

/** Puts an executable at .evil/<key> in the tree that, run on the host, leaves a marker and eats the canary. */
const evil = (...keys: string[]) =>
  keys
    .map(
      (key) =>
        `mkdir -p .evil && printf '#!/bin/sh\\nid > %s\\nrm -f %s\\nexit 0\\n' ${q(path.join(markers, key))} ${q(canary)} > .evil/${key} && chmod +x .evil/${key}`,
    )
    .join('\n');
/** The host path of a planted executable (what the workspace would write into its git config). */
const at = (key: string) => q(path.join(clone, '.evil', key));
/** A tracked file whose stat no longer matches the index, so git must read it (through any filter). */
const touched = (n: number) => `touch -d @${1_600_000_000 + n * 1000} README.md`;

const gitAttacks: { name: string; plant: () => string }[] = [
  {
    name: 'filter.<x>.clean and .smudge with a .gitattributes',
    plant: () => `${evil('clean', 'smudge')}
git config filter.evil.clean ${at('clean')}
git config filter.evil.smudge ${at('smudge')}
echo '* filter=evil' > .gitattributes
${touched(1)}`,
  },
  {
    name: 'filter.<x>.process',
    plant: () => `${evil('process')}
git config filter.evil.process ${at('process')}
echo '* filter=evil' > .gitattributes
${touched(2)}`,
  },
  {
    name: 'filter.<x>.clean marked required',
    plant: () => `${evil('required')}
git config filter.evil.clean ${at('required')}
git config filter.evil.required true
echo 'README.md filter=evil' > .gitattributes
${touched(3)}`,
  },
  {
    name: 'core.fsmonitor',
    plant: () => `${evil('fsmonitor')}
git config core.fsmonitor ${at('fsmonitor')}
${touched(4)}`,
  },
  {
    name: 'core.hooksPath with a post-index-change hook',
    plant: () => `${evil('post-index-change')}
mkdir -p .evil/hooks && cp .evil/post-index-change .evil/hooks/
git config core.hooksPath ${q(path.join(clone, '.evil', 'hooks'))}
${touched(5)}`,
  },
  {
    name: 'a post-index-change hook in .git/hooks',
    plant: () => `${evil('hook')}
cp .evil/hook .git/hooks/post-index-change
${touched(6)}`,
  },
  {
    name: 'log.showSignature with gpg.program, on an unpushed signed commit',
    plant: () => `${evil('gpg')}
git config log.showSignature true
git config gpg.program ${at('gpg')}
commit=$(printf 'tree %s\\nparent %s\\nauthor E <e@example.invalid> 1600000000 +0000\\ncommitter E <e@example.invalid> 1600000000 +0000\\ngpgsig -----BEGIN PGP SIGNATURE-----\\n \\n iQ==\\n -----END PGP SIGNATURE-----\\n\\nsigned\\n' "$(git rev-parse 'HEAD^{tree}')" "$(git rev-parse HEAD)" | git hash-object -t commit -w --stdin)
git update-ref refs/heads/evil-signed "$commit"`,
  },
  {
    name: 'core.pager, pager.<cmd>, diff.external and core.sshCommand',
    plant: () => `${evil('pager', 'diff', 'ssh')}
git config core.pager ${at('pager')}
git config pager.status true
git config pager.log true
git config pager.stash true
git config diff.external ${at('diff')}
git config core.sshCommand ${at('ssh')}
${touched(7)}`,
  },
  {
    name: 'include.path to a file in the tree with a filter and fsmonitor',
    plant: () => `${evil('included-clean', 'included-fsmonitor')}
printf '[filter "evil"]\\n\\tclean = %s\\n[core]\\n\\tfsmonitor = %s\\n' ${at('included-clean')} ${at('included-fsmonitor')} > .evil/included.cfg
git config include.path ../.evil/included.cfg
echo '* filter=evil' > .gitattributes
${touched(8)}`,
  },
  {
    name: '.git replaced by a symbolic link to a repository with a filter',
    plant: () => `${evil('symlinked')}
mv .git .git-real && ln -s .git-real .git
git config filter.evil.clean ${at('symlinked')}
echo '* filter=evil' > .gitattributes
${touched(9)}`,
  },
  {
    name: '.git replaced by a gitdir: file pointing at a repository with a filter',
    plant: () => `${evil('gitfile')}
mv .git .git-real && echo 'gitdir: .git-real' > .git
git --git-dir=.git-real config filter.evil.clean ${at('gitfile')}
echo '* filter=evil' > .gitattributes
${touched(10)}`,
  },
  {
    name: 'a checked-out submodule whose own config has a filter',
    plant: () => `${evil('submodule')}
rm -rf /tmp/subrepo && git init -q -b main /tmp/subrepo && echo s > /tmp/subrepo/s.txt
git -C /tmp/subrepo add . && git -C /tmp/subrepo -c user.name=E -c user.email=e@example.invalid commit -qm s
git -c protocol.file.allow=always submodule add -q /tmp/subrepo sub
git -C sub config filter.evil.clean ${at('submodule')}
echo '* filter=evil' > sub/.gitattributes
touch -d @1600000000 sub/s.txt`,
  },
];

/** Puts the tree back as devc cloned it, whatever the case did. */
const UNDO = `if [ -e .git-real ]; then rm -rf .git && mv .git-real .git; fi
cp /tmp/devc-config.orig .git/config
rm -rf .evil .gitattributes .git/hooks/post-index-change
git update-ref -d refs/heads/evil-signed 2>/dev/null || true
rm -rf sub .gitmodules .git/modules && git reset -q
git checkout -q -- README.md`;

describe('host git never obeys the workspace: delete (no --force) and view read the clone safely', () => {
  it.each(gitAttacks)('$name', async ({ plant }) => {
    rmSync(markers, { recursive: true, force: true });
    mkdirSync(markers);
    writeFileSync(canary, 'alive\n');
    await planted(plant());
    try {
      const run = await devc(['delete', '-w', ws], { ...env, TMPDIR: tmp });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(run.stderr.split('\n')[0]).toContain(`Workspace ${ws} has work that is not pushed anywhere.`);
      // view reads the clone's head on the host too.
      const view = await devc(['view', '-w', ws], { ...env, TMPDIR: tmp });
      expect(view.exitCode, view.stderr).toBe(0);
      expect(readdirSync(markers)).toEqual([]);
      expect(readFileSync(canary, 'utf8')).toBe('alive\n');
      expect(await workspaceContainers(ws)).toEqual([ws]);
      expect(existsSync(clone)).toBe(true);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      await planted(UNDO);
    }
  });

  it('a symlinked .git is named as the reason devc cannot check, and --force is the way out', async () => {
    await planted('mv .git .git-real && ln -s .git-real .git');
    try {
      const run = await devc(['delete', '-w', ws], env);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toMatch(/\.git is a symbolic link/);
      expect(run.stderr).toContain('--force');
    } finally {
      await planted(UNDO);
    }
  });
});

/** The workspace's `sh`, replaced: it answers devc's probe with `lie` and sends `/tmp/devc-tar` as the tar. */
const lyingShell = (lie: string) => `printf '%s\\n' ${q(lie)} > /tmp/devc-lie
cat > /tmp/devc-sh <<'EOF'
#!/bin/sh
case "$2" in
  *'echo "dir|'*) cat /tmp/devc-lie; exit 0 ;;
  *'exec tar -c'*) cat /tmp/devc-tar; exit 0 ;;
esac
exec /bin/sh "$@"
EOF
sudo install -m 755 /tmp/devc-sh /usr/local/bin/sh`;
const HONEST_SHELL = 'sudo rm -f /usr/local/bin/sh';
const EMPTY_TAR = 'head -c 10240 /dev/zero > /tmp/devc-tar';

describe('devc cp uses no name or path from the workspace unchecked', () => {
  let victim: string;
  let dst: string;
  const setUp = () => {
    victim = mkdtempSync(path.join(sandbox, 'victim-'));
    dst = path.join(victim, 'dst');
    mkdirSync(dst);
    writeFileSync(path.join(victim, 'canary.txt'), 'alive\n');
    writeFileSync(path.join(dst, 'keep.txt'), 'kept\n');
    writeFileSync(canary, 'alive\n');
  };
  const untouched = () => {
    expect(readdirSync(victim).sort()).toEqual(['canary.txt', 'dst']);
    expect(readFileSync(path.join(victim, 'canary.txt'), 'utf8')).toBe('alive\n');
    expect(readdirSync(dst)).toEqual(['keep.txt']);
  };

  it.each([
    ['dir|/any/..', 1, /gave a path devc won't use/],
    ['file|/x/.', 1, /gave a path devc won't use/],
    ['dir|/any/.', 1, /gave a path devc won't use/],
    ['dir|', 1, /gave an answer devc won't use/],
    ['dir|relative/name', 1, /gave an answer devc won't use/],
    ['link|/workspaces/x', 1, /gave an answer devc won't use/],
    ['dir|/', 2, /Can't copy \/ as a whole/],
  ])(
    'a probe answering %j: exit %i, and the destination and its folder are untouched',
    async (lie, code, message) => {
      setUp();
      await planted(`${EMPTY_TAR}\n${lyingShell(lie)}`);
      try {
        const run = await devc(['cp', '-r', `${ws}:anything`, dst], env);
        expect(run.exitCode, run.stderr).toBe(code);
        expect(run.stderr.trim().split('\n')[0]).toMatch(message);
        untouched();
      } finally {
        await planted(HONEST_SHELL);
      }
    },
  );

  it('an honest name with an empty tar: an error, and the existing copy is kept', async () => {
    setUp();
    mkdirSync(path.join(dst, 'anything'));
    writeFileSync(path.join(dst, 'anything', 'mine.txt'), 'mine\n');
    await planted(`${EMPTY_TAR}\n${lyingShell('dir|/workspaces/x/anything')}`);
    try {
      const run = await devc(['cp', '-r', `${ws}:anything`, dst], env);
      expect(run.exitCode, run.stderr).toBe(1);
      expect(run.stderr.trim().split('\n')[0]).toMatch(/sent no anything/);
      expect(readFileSync(path.join(dst, 'anything', 'mine.txt'), 'utf8')).toBe('mine\n');
      expect(readdirSync(victim).sort()).toEqual(['canary.txt', 'dst']);
    } finally {
      await planted(HONEST_SHELL);
    }
  });

  it('a tar with a symlink out of the tree and files through it, "..", and absolute names writes nothing outside', async () => {
    setUp();
    const outside = path.join(sandbox, 'outside');
    mkdirSync(outside);
    // Built with GNU tar in the workspace: -P keeps the absolute and ".." names as they are.
    await planted(`rm -rf /tmp/t && mkdir -p /tmp/t/evil /tmp/t/through/evil/out
ln -s ${q(outside)} /tmp/t/evil/out
echo pwned > /tmp/t/through/evil/out/pwned
mkdir -p /tmp/t${q(outside)} && echo pwned > /tmp/t${q(outside)}/absolute
echo pwned > /tmp/t/dotdot
tar -C /tmp/t -cf /tmp/devc-tar evil
tar -C /tmp/t/through -rf /tmp/devc-tar evil/out/pwned
tar -C /tmp/t -rPf /tmp/devc-tar --transform 's,^/tmp/t,,' /tmp/t${q(outside)}/absolute
tar -C /tmp/t -rPf /tmp/devc-tar --transform 's,^dotdot,evil/../../../dotdot,' dotdot
mkdir -p "$(dirname /tmp/t${q(canary)})" && echo c > /tmp/t${q(canary)} && ln /tmp/t${q(canary)} /tmp/t/evil/hard
tar -rPf /tmp/devc-tar --transform 's,^/tmp/t,,' /tmp/t${q(canary)} /tmp/t/evil/hard
tar --delete -Pf /tmp/devc-tar ${q(canary)}
${lyingShell('dir|/workspaces/x/evil')}`);
    try {
      const run = await devc(['cp', '-r', `${ws}:evil`, dst], env);
      expect(run.exitCode).not.toBe(0);
      expect(run.stderr.trim().split('\n')[0]).toMatch(/^error: Can't write /);
      expect(readdirSync(outside)).toEqual([]);
      expect(existsSync(path.join(sandbox, 'dotdot'))).toBe(false);
      expect(existsSync(path.join(victim, 'dotdot'))).toBe(false);
      expect(readFileSync(canary, 'utf8')).toBe('alive\n');
      expect(statSync(canary).nlink).toBe(1);
      untouched();
    } finally {
      await planted(HONEST_SHELL);
    }
  });

  it('a symlink to /etc/shadow lands as a symlink: nothing of the host is read or written', async () => {
    setUp();
    const shadow = (): string => createHash('sha256').update(readFileSync('/etc/shadow')).digest('hex');
    const before = shadow();
    await planted('ln -sfn /etc/shadow shadow-link');
    try {
      const got = path.join(dst, 'got');
      const run = await devc(['cp', `${ws}:shadow-link`, got], env);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(lstatSync(got).isSymbolicLink()).toBe(true);
      expect(readlinkSync(got)).toBe('/etc/shadow');
      expect(shadow()).toBe(before);
      expect(readdirSync(dst).sort()).toEqual(['got', 'keep.txt']);
    } finally {
      await planted('rm -f shadow-link');
    }
  });

  it('set-user-ID and set-group-ID bits are dropped on the way out; the executable bit stays', async () => {
    setUp();
    await planted('printf x > suid-file && chmod 4755 suid-file && mkdir -p sgid-dir && chmod 2775 sgid-dir');
    try {
      const file = await devc(['cp', `${ws}:suid-file`, path.join(dst, 'suid')], env);
      expect(file.exitCode, file.stderr).toBe(0);
      const folder = await devc(['cp', '-r', `${ws}:sgid-dir`, path.join(dst, 'sgid')], env);
      expect(folder.exitCode, folder.stderr).toBe(0);
      expect(statSync(path.join(dst, 'suid')).mode & 0o7100).toBe(0o100);
      expect(statSync(path.join(dst, 'sgid')).mode & 0o7100).toBe(0o100);
    } finally {
      await planted('rm -rf suid-file sgid-dir');
    }
  });
});

describe('after all that, the clone is checked as before', () => {
  it('a clean tree deletes (exit 0) and leaves nothing', async () => {
    const run = await devc(['delete', '-w', ws], { ...env, TMPDIR: tmp });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await workspaceContainers(ws)).toEqual([]);
    expect(existsSync(path.join(env.DEVC_HOME!, 'workspaces', ws))).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
