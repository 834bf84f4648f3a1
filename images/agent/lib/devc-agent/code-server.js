// devc's launcher for code-server, run by code-server's own node when the agent starts devc's
// code-server (its wrapper runs `node $DEVC_CODE_SERVER_LAUNCHER ENTRY ARGS…`).
//
// code-server starts as two processes: a parent that reads its arguments, and a child, given them over
// IPC, that serves. Each loads its modules before the other may go on (about 0.2 s each on two cores).
// This launcher plays the parent's part in code-server's handshake (out/node/wrapper.js): it starts the
// child first and reads the arguments while the child loads. code-server answers ~0.1 s sooner, and
// the launcher is lighter than code-server's own parent.
//
// Anything it does not expect (help or extension flags, no cli.js, no handshake) falls back to
// code-server's own start, in this process.
'use strict';
const childProcess = require('node:child_process');
const path = require('node:path');

const [entry, ...args] = process.argv.slice(2);
// Read by the wrapper only: nothing code-server starts (terminals, tasks) sees it.
delete process.env.DEVC_CODE_SERVER_LAUNCHER;

/** Flags that make code-server do something other than serve: its own start handles them. */
const NOT_SERVING = ['help', 'version', 'list-extensions', 'install-extension', 'uninstall-extension', 'locate-extension'];
const HANDSHAKE_MS = 60_000;

/** code-server's own start, in this process (the parent it would have been). */
function ownStart() {
  process.argv = [process.argv[0], entry, ...args];
  require(entry);
}

function launch() {
  const child = childProcess.fork(entry, [], {
    env: { ...process.env, CODE_SERVER_PARENT_PID: String(process.pid), NODE_EXEC_PATH: process.execPath },
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  let settled = false;
  const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  const onSignal = (signal) => {
    if (settled) return void child.kill(signal);
    child.kill('SIGKILL');
    process.exit(128 + 15);
  };
  for (const signal of signals) process.on(signal, onSignal);
  const abandon = (why) => {
    if (settled) return;
    settled = true;
    clearTimeout(tooLong);
    for (const signal of signals) process.off(signal, onSignal);
    child.removeAllListeners();
    child.kill('SIGKILL');
    if (why) process.stderr.write(`devc: code-server's own start (${why})\n`);
    ownStart();
  };
  const tooLong = setTimeout(() => abandon('no handshake from its server'), HANDSHAKE_MS);
  const parsed = parseArgs();
  parsed.then((a) => {
    if (NOT_SERVING.some((flag) => a[flag])) abandon();
  }, (error) => abandon(`its arguments: ${error && error.message}`));
  child.on('message', (message) => {
    if (!message || message.type !== 'handshake' || settled) return;
    parsed.then((a) => {
      if (settled) return;
      settled = true;
      clearTimeout(tooLong);
      child.send({ type: 'handshake', args: a });
    }, () => {});
  });
  child.on('exit', (code, signal) => {
    if (!settled) return abandon(`its server exited (${signal || code})`);
    process.exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
    process.exit();
  });
}

/** The arguments as code-server's parent reads them: command line, then config file, then defaults. */
async function parseArgs() {
  const cli = require(path.join(path.dirname(entry), 'cli.js'));
  const cliArgs = cli.parse(args);
  const configArgs = await cli.readConfigFile(cliArgs.config);
  return cli.setDefaults(cliArgs, configArgs);
}

if (!entry) {
  process.stderr.write('usage: node code-server.js ENTRY [ARGS…]\n');
  process.exit(2);
}
launch();
