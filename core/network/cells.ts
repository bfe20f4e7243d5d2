/**
 * The cells maestro may run sessions on. Default: the MAESTRO testbed's reference cell; a JSON
 * file (MAESTRO_CELLS_FILE, an array of cell configurations) replaces it.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ranCellSchema, type RanCell } from './contracts.ts';

export const referenceCellId = 'cell-n78-a';

export function loadCells(file: string | null): Map<string, RanCell> {
  const raw: unknown = file === null ? [{ cellId: referenceCellId }] : JSON.parse(readFileSync(file, 'utf8'));
  const parsed = z.array(ranCellSchema).min(1).safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`cells ${file ?? '(default)'} are invalid: ${problems}`);
  }
  return new Map(parsed.data.map((c) => [c.cellId, c]));
}
