/** The VS Code extensions a config asks for (customizations.vscode.extensions). */
export function vscodeExtensions(configuration: Record<string, unknown>): string[] {
  const customizations = (configuration.customizations ?? {}) as { vscode?: { extensions?: unknown } };
  const list = customizations.vscode?.extensions;
  return Array.isArray(list) ? list.filter((e): e is string => typeof e === 'string' && e.length > 0) : [];
}
