/** The steps of a workflow template (its own simple layout: `- name:` items with `if:` and `run:` keys). */
export function workflowSteps(yaml: string): { name: string; if?: string; run: string }[] {
  const steps: { name: string; if?: string; run: string }[] = [];
  const lines = yaml.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = /^ {6}- name: (.+)$/.exec(lines[i]!);
    if (!start) continue;
    const step: { name: string; if?: string; run: string } = { name: start[1]!, run: '' };
    for (i++; i < lines.length && /^ {8}\S/.test(lines[i]!); i++) {
      const [, key, value = ''] = /^ {8}(\w+): ?(.*)$/.exec(lines[i]!) ?? [];
      if (key === 'if') step.if = value;
      if (key !== 'run') continue;
      if (value !== '|') step.run = value;
      else {
        const body: string[] = [];
        while (i + 1 < lines.length && /^ {10}/.test(lines[i + 1]!)) body.push(lines[++i]!.slice(10));
        step.run = body.join('\n');
      }
    }
    i--;
    steps.push(step);
  }
  return steps;
}
