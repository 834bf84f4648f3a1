import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { Snapshot } from '../../services/watch.js';
import type { Workspace } from '../../workspace/model.js';
import { useColor } from './theme.js';

/** The table, or what to say instead of it: loading, no engine, no workspaces, nothing matches. */
export function Body(props: { snapshot: Snapshot; visible: Workspace[]; filter: string; table: ReactNode }) {
  const color = useColor();
  const { snapshot } = props;
  if (!snapshot.loaded) return <Text>Loading workspaces…</Text>;
  if (snapshot.engineError)
    return (
      <Box flexDirection="column">
        <Text color={color('red')} wrap="truncate-end">
          {snapshot.engineError.message}
        </Text>
        {snapshot.engineError.hint && <Text wrap="truncate-end">{snapshot.engineError.hint}</Text>}
        <Text color={color('gray')}>Trying again every 10 seconds; q quits.</Text>
      </Box>
    );
  if (snapshot.workspaces.length === 0)
    return (
      <Box flexDirection="column">
        <Text>No workspaces yet.</Text>
        <Text wrap="truncate-end">
          Create one with <Text color={color('cyan')}>devc up REPO</Text> in another terminal; it shows up
          here.
        </Text>
      </Box>
    );
  if (props.visible.length === 0)
    return (
      <Text wrap="truncate-end">{`No workspace matches "${props.filter}". Press esc to clear the filter.`}</Text>
    );
  return <>{props.table}</>;
}
