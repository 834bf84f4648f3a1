import { createContext, useContext } from 'react';

/** Whether to draw colour and bold: off when the output is plain (CI, a pipe, NO_COLOR, TERM=dumb). */
export const ColorContext = createContext(true);

/** The colour to pass to ink, or undefined when colour is off. */
export function useColor(): (color: string) => string | undefined {
  const enabled = useContext(ColorContext);
  return (color) => (enabled ? color : undefined);
}

/** True when styles (bold) may be drawn. */
export function useStyled(): boolean {
  return useContext(ColorContext);
}
