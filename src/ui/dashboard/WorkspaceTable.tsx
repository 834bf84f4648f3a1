import { Box, Text } from 'ink';
import type { WorkspaceUsage } from '../../backends/backend.js';
import type { Workspace } from '../../workspace/model.js';
import { layoutColumns, MARKER, type Row } from './columns.js';
import { useColor, useStyled } from './theme.js';

export interface TableProps {
  workspaces: Workspace[];
  selected: string | undefined;
  usage: ReadonlyMap<string, WorkspaceUsage>;
  ports: ReadonlyMap<string, number[]>;
  busy: ReadonlyMap<string, string>;
  width: number;
  /** Rows available for workspaces (the header line is extra). */
  height: number;
  now: number;
}

/** Workspaces as rows, the selected one marked; scrolls to keep the selection visible. */
export function WorkspaceTable(props: TableProps) {
  const color = useColor();
  const styled = useStyled();
  const columns = layoutColumns(props.width);
  const index = Math.max(
    0,
    props.workspaces.findIndex((w) => w.name === props.selected),
  );
  const visible = Math.max(1, props.height);
  const offset = Math.max(0, Math.min(index - Math.floor(visible / 2), props.workspaces.length - visible));
  const shown = props.workspaces.slice(offset, offset + visible);
  return (
    <Box flexDirection="column">
      <Box>
        <Box width={MARKER} />
        {columns.map((c) => (
          <Box key={c.title} width={c.width} paddingRight={1}>
            <Text bold={styled} wrap="truncate-end">
              {c.title}
            </Text>
          </Box>
        ))}
      </Box>
      {shown.map((workspace) => {
        const selected = workspace.name === props.selected;
        const row: Row = {
          workspace,
          usage: props.usage.get(workspace.name),
          ports: props.ports.get(workspace.name),
          busy: props.busy.get(workspace.name),
          now: props.now,
        };
        return (
          <Box key={workspace.name}>
            <Box width={MARKER}>
              <Text color={color('cyan')}>{selected ? '›' : ' '}</Text>
            </Box>
            {columns.map((c) => {
              const cell = c.cell(row);
              return (
                <Box key={c.title} width={c.width} paddingRight={1}>
                  <Text
                    wrap="truncate-end"
                    bold={styled && selected}
                    {...(cell.color ? { color: color(cell.color) } : {})}
                  >
                    {cell.text}
                  </Text>
                </Box>
              );
            })}
          </Box>
        );
      })}
    </Box>
  );
}
