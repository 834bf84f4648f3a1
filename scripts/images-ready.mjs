// The images the end-to-end and Kubernetes suites start from: dev8-base and devc's agent image, made
// through devc's own code path (pulled or built when missing or out of date; a no-op when current;
// once per engine under devc's image lock). Run from test-all.sh beside the unit tests, and as the
// suites' global setup, so a fresh machine's first test does not depend on which file runs first.
import { createContext } from '../dist/context.js';
import { systemIO } from '../dist/io.js';
import { ensureAgentImage } from '../dist/services/agent-volume.js';
import { ensureImage } from '../dist/services/images.js';
import { createProgress } from '../dist/ui/progress.js';

const io = systemIO();
const ctx = createContext({ io });
const progress = createProgress(io);
const started = Date.now();
await ensureImage(ctx, 'base', progress);
await ensureAgentImage(ctx, progress);
process.stderr.write(
  `images-ready: dev8-base and the agent image are current (${Date.now() - started} ms)\n`,
);
