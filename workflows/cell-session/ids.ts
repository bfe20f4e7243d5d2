/** One session per cell: its workflow id is derived from the cell id, so every caller finds it. */
export const cellSessionIdOf = (cellId: string): string => `cell-session-${cellId}`;
