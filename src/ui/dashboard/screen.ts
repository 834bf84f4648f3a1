/** The terminal's alternate screen: the dashboard draws there, and the shell's own screen comes back after. */
export interface AlternateScreen {
  /** Switches to it (if not there yet) and clears it, cursor home. */
  enter(): void;
  leave(): void;
}

export function alternateScreen(stdout: NodeJS.WritableStream): AlternateScreen {
  let on = false;
  // A crash or a signal must not leave the terminal on the alternate screen.
  const leaveOnExit = (): void => {
    if (on) stdout.write('\u001b[?1049l');
  };
  return {
    enter(): void {
      if (!on) {
        on = true;
        process.once('exit', leaveOnExit);
        stdout.write('\u001b[?1049h');
      }
      stdout.write('\u001b[H\u001b[2J');
    },
    leave(): void {
      if (!on) return;
      on = false;
      process.off('exit', leaveOnExit);
      stdout.write('\u001b[?1049l');
    },
  };
}
