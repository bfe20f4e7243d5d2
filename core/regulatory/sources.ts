/** Where regulatory documents come from: the project's corpus, plus any folder of 3GPP specs in markdown. */
import path from 'node:path';
import { projectRoot } from '../config.ts';
import type { CorpusSource } from './vector-index.ts';

export const projectCorpus: CorpusSource = {
  dir: path.join(projectRoot, 'regulatory-corpus'),
  kind: 'project',
  label: 'regulatory-corpus',
};

/** The shared Rel-19 specs (read from this path, never copied into the repository). */
export const sharedSpecsDir = path.resolve(projectRoot, '..', 'shared', 'corpus', '3gpp-specs');

export function specSource(dir: string): CorpusSource {
  return { dir: path.resolve(dir), kind: 'spec', label: path.basename(path.resolve(dir)) };
}
