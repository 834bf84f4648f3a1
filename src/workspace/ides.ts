/** The desktop editors devc opens over Remote-SSH: VS Code and the forks that kept its remote protocol. */
export const DESKTOP_EDITORS = ['vscode', 'cursor', 'windsurf', 'antigravity'] as const;
export type DesktopEditor = (typeof DESKTOP_EDITORS)[number];

/** Everything `--ide` takes: code-server in the browser, a desktop editor, or nothing. */
export const IDES = ['code-server', ...DESKTOP_EDITORS, 'none'] as const;
export type Ide = (typeof IDES)[number];

export function isDesktopEditor(ide: string): ide is DesktopEditor {
  return (DESKTOP_EDITORS as readonly string[]).includes(ide);
}
