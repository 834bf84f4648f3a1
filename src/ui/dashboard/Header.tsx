import { Box, Text } from 'ink';
import type { Snapshot } from '../../services/watch.js';
import { useColor, useStyled } from './theme.js';

/** Title, counts, and whether the view follows engine events or only polls. */
export function Header(props: { snapshot: Snapshot; shown: number; filter: string; still?: boolean }) {
  const color = useColor();
  const styled = useStyled();
  const { snapshot } = props;
  const total = snapshot.workspaces.length;
  const count = props.filter
    ? `${props.shown} of ${total} workspaces match "${props.filter}"`
    : `${total} workspace${total === 1 ? '' : 's'}`;
  const status = snapshot.engineError ? 'engine unreachable' : snapshot.live ? 'live' : 'polling';
  const statusColor = snapshot.engineError ? 'red' : snapshot.live ? 'green' : 'yellow';
  return (
    <Box justifyContent="space-between">
      <Text wrap="truncate-end">
        <Text bold={styled} color={color('cyan')}>
          devc dashboard
        </Text>
        {`  ${snapshot.loaded && !snapshot.engineError ? count : ''}`}
      </Text>
      {!props.still && <Text color={color(statusColor)}>{`● ${status}`}</Text>}
    </Box>
  );
}
