import { Box, Text } from 'ink';
import type { WorkspaceDetails } from '../../backends/backend.js';
import type { PortRow } from '../../services/dashboard.js';
import type { Workspace } from '../../workspace/model.js';
import { idleText } from './format.js';
import { BINDINGS } from './keys.js';
import { useColor } from './theme.js';

/** A pane's title line: "── logs: shop ──────". */
function Title({ text, width }: { text: string; width: number }) {
  const color = useColor();
  const head = `── ${text} `;
  return (
    <Text color={color('gray')} wrap="truncate-end">
      {head + '─'.repeat(Math.max(0, width - head.length))}
    </Text>
  );
}

/** Lines of text cut to the pane: long lines truncated, the newest lines kept. */
function Lines({ lines, height }: { lines: string[]; height: number }) {
  const shown = lines.slice(-Math.max(0, height));
  return (
    <Box flexDirection="column" height={height}>
      {shown.map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line || ' '}
        </Text>
      ))}
    </Box>
  );
}

export function DetailsPane(props: {
  workspace: Workspace | undefined;
  activity: WorkspaceDetails | undefined;
  width: number;
  height: number;
  now: number;
}) {
  const w = props.workspace;
  if (!w) return <Box height={props.height + 1} />;
  const lines = [
    `repository  ${w.repository.url}${w.repository.branch ? `  (branch ${w.repository.branch})` : ''}`,
    `state       ${w.state}${w.stateReason && w.stateReason !== w.state ? ` (${w.stateReason})` : ''}; ${idleText(w, props.activity, props.now)}`,
    `image       ${w.image}   backend ${w.backend}`,
    `created     ${w.createdAt}`,
  ];
  return (
    <Box flexDirection="column">
      <Title text={w.name} width={props.width} />
      <Lines lines={lines} height={props.height} />
    </Box>
  );
}

export function LogsPane(props: { name: string; lines: string[]; width: number; height: number }) {
  return (
    <Box flexDirection="column">
      <Title text={`logs: ${props.name} (following; l or esc closes)`} width={props.width} />
      <Lines lines={props.lines.length ? props.lines : ['(no output yet)']} height={props.height} />
    </Box>
  );
}

export function PortsPane(props: {
  name: string;
  ports: PortRow[] | undefined;
  width: number;
  height: number;
}) {
  const lines = props.ports
    ? props.ports.map(
        (p) => `${String(p.remote).padEnd(6)} ${p.label.padEnd(14)} ${p.url ?? 'not reachable'}`,
      )
    : ['Reading ports…'];
  return (
    <Box flexDirection="column">
      <Title text={`ports: ${props.name} (p or esc closes)`} width={props.width} />
      <Lines lines={lines} height={props.height} />
    </Box>
  );
}

export function HelpView({ width, height }: { width: number; height: number }) {
  const color = useColor();
  return (
    <Box flexDirection="column" height={height}>
      <Title text="keys (any key closes)" width={width} />
      {BINDINGS.map((b) => (
        <Box key={b.keys}>
          <Box width={12}>
            <Text color={color('cyan')}>{b.keys}</Text>
          </Box>
          <Text wrap="truncate-end">{b.help}</Text>
        </Box>
      ))}
    </Box>
  );
}
