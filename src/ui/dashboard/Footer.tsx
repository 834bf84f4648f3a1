import { Text } from 'ink';
import { useColor } from './theme.js';

export type Mode = 'normal' | 'filter' | 'confirm' | 'help';

/** The bottom line: key hints, the filter being typed, or the delete question. */
export function Footer(props: { mode: Mode; filter: string; selected: string | undefined }) {
  const color = useColor();
  if (props.mode === 'filter')
    return (
      <Text wrap="truncate-end">
        <Text color={color('cyan')}>filter: </Text>
        {`${props.filter}▏  (enter keeps it, esc clears it)`}
      </Text>
    );
  if (props.mode === 'confirm')
    return (
      <Text wrap="truncate-end" color={color('yellow')}>
        {`Delete ${props.selected ?? ''} (container, volumes, clone)? y deletes, other keys keep it:`}
      </Text>
    );
  return (
    <Text wrap="truncate-end" color={color('gray')}>
      enter ssh · o code · p ports · l logs · s stop/start · r rebuild · d delete · / filter · ? help · q quit
    </Text>
  );
}
