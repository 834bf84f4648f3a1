import type { IO } from '../../io.js';
import type { Snapshot } from '../../services/watch.js';
import { layoutColumns, MARKER, type Row } from './columns.js';

/**
 * The dashboard's first frame as plain text: header and table, laid out like the ink table (same
 * columns, widths and truncation). Drawing it needs no ink or React, so it shows while they load, and
 * it is what a pipe gets.
 */
export function plainFrame(io: IO, snapshot: Snapshot, width: number, now: number): string {
  const total = snapshot.workspaces.length;
  const lines = [`${io.paint('cyan', 'devc dashboard')}  ${total} workspace${total === 1 ? '' : 's'}`];
  if (total === 0) return [...lines, 'No workspaces yet. Create one with `devc up REPO`.'].join('\n');
  const columns = layoutColumns(width);
  const indent = ' '.repeat(MARKER);
  lines.push(
    indent +
      columns
        .map((c) => cell(c.title, c.width))
        .join('')
        .trimEnd(),
  );
  for (const workspace of snapshot.workspaces) {
    const row: Row = {
      workspace,
      usage: snapshot.usage.get(workspace.name),
      ports: undefined,
      busy: undefined,
      now,
    };
    const cells = columns.map((c) => {
      const { text, color } = c.cell(row);
      const fitted = cell(text, c.width);
      if (!color) return fitted;
      const content = fitted.trimEnd();
      return io.paint(color, content) + fitted.slice(content.length);
    });
    lines.push((indent + cells.join('')).trimEnd());
  }
  return lines.join('\n');
}

/** A cell `width` wide with one space after the text; longer text is cut with "…" as ink does. */
function cell(text: string, width: number): string {
  const room = width - 1;
  const fitted = text.length > room ? `${text.slice(0, Math.max(0, room - 1))}…` : text;
  return fitted.padEnd(width);
}
