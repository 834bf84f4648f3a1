import type { WorkspaceUsage } from '../../backends/backend.js';
import type { Workspace } from '../../workspace/model.js';
import { formatBytes, stateColor, type StateColor } from '../format.js';
import { shortPercent, shortRepository, uptime } from './format.js';

// The table's columns, shared by the ink table and the plain first frame (which must not load ink).

export interface Column {
  title: string;
  width: number;
  /** Dropped first when the terminal is narrow. */
  optional?: boolean;
  cell(row: Row): { text: string; color?: StateColor };
}

export interface Row {
  workspace: Workspace;
  usage: WorkspaceUsage | undefined;
  ports: number[] | undefined;
  busy: string | undefined;
  now: number;
}

export const MARKER = 2;
const MIN_REPOSITORY = 12;

const COLUMNS: Column[] = [
  { title: 'NAME', width: 16, cell: (r) => ({ text: r.workspace.name }) },
  {
    title: 'STATE',
    width: 9,
    cell: (r) => ({
      text: r.busy ?? r.workspace.state,
      color: r.busy ? 'yellow' : stateColor(r.workspace.state),
    }),
  },
  { title: 'REPOSITORY', width: 0, cell: (r) => ({ text: shortRepository(r.workspace) }) },
  { title: 'BACKEND', width: 8, optional: true, cell: (r) => ({ text: r.workspace.backend }) },
  { title: 'UPTIME', width: 7, cell: (r) => ({ text: uptime(r.workspace, r.now) }) },
  { title: 'PORTS', width: 8, optional: true, cell: (r) => ({ text: r.ports?.join(',') ?? '-' }) },
  {
    title: 'CPU',
    width: 6,
    cell: (r) => ({ text: running(r) && r.usage ? shortPercent(r.usage.cpuPercent) : '-' }),
  },
  {
    title: 'MEM',
    width: 7,
    cell: (r) => ({ text: running(r) && r.usage ? formatBytes(r.usage.memoryBytes) : '-' }),
  },
];

function running(row: Row): boolean {
  return row.workspace.state === 'running';
}

/** The columns that fit `width`, with REPOSITORY taking what is left. */
export function layoutColumns(width: number): Column[] {
  const fixed = (columns: Column[]): number => columns.reduce((sum, c) => sum + c.width, MARKER);
  let columns = COLUMNS;
  if (width - fixed(columns) < MIN_REPOSITORY) columns = columns.filter((c) => !c.optional);
  const repository = Math.max(MIN_REPOSITORY, width - fixed(columns) - 1);
  return columns.map((c) => (c.width === 0 ? { ...c, width: repository } : c));
}
