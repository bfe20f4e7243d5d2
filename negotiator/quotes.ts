/**
 * `npm run negotiator:quotes -- FILE.turns.jsonl …`
 *
 * How often the validation unit's quote check (activities/agent/validation.ts `quotedProposalProblem`) would reject
 * recorded BO answers: every recorded answer whose prompt carries a MAESTRO proposal is put to the check with the
 * values that prompt showed (the proposal, and in soft or hard mode the optimizer's value), and the flagged ones are
 * listed. Run over recorded games to see what the check catches and whether it catches answers it should not.
 */
import { readFileSync } from 'node:fs';
import { extractServiceIntent } from '../activities/agent/extraction.ts';
import { quotedProposalProblem, type Bounds, type ProposalQuote } from '../activities/agent/validation.ts';
import type { RecordedTurn } from './policies.ts';

export interface QuoteScan {
  /** Recorded answers whose prompt shows a MAESTRO proposal (rounds 2 on). */
  answers: number;
  /** Of those, the answers whose reasoning names a number as MAESTRO's. */
  quoting: number;
  flagged: { negotiationId: string; agent: string; round: number; reasoning: string; problem: string }[];
}

const numberAfter = (text: string, lead: RegExp): number | null => {
  const match = new RegExp(`${lead.source}\\s*(-?\\d+(?:\\.\\d+)?)`).exec(text);
  return match ? Number(match[1]) : null;
};

/** The quote and bounds a recorded BO prompt showed (activities/agent/prompts.ts wording); null without a proposal. */
export function promptQuote(turn: RecordedTurn): { quote: ProposalQuote; bounds: Bounds } | null {
  const round = turn.messages.filter((m) => m.role === 'user')[0]?.content ?? '';
  const system = turn.messages.find((m) => m.role === 'system')?.content ?? '';
  const proposal = numberAfter(round, /MAESTRO proposes/);
  const range = /allowed from (-?[\d.]+) to (-?[\d.]+)/.exec(system);
  if (proposal === null || range === null) return null;
  const optimizer = numberAfter(round, /(?:Your optimizer suggests|Directive: propose)/);
  return {
    quote: { proposal, alsoQuotable: optimizer === null ? [] : [optimizer] },
    bounds: { min: Number(range[1]), max: Number(range[2]) },
  };
}

export function scanQuotes(turns: readonly RecordedTurn[]): QuoteScan {
  const scan: QuoteScan = { answers: 0, quoting: 0, flagged: [] };
  for (const turn of turns) {
    const shown = promptQuote(turn);
    if (shown === null) continue;
    const extracted = extractServiceIntent(turn.answer);
    if (!extracted.ok) continue; // the workflow rejects it before the quote check
    const { reasoning } = extracted.intent;
    scan.answers++;
    if (/(?:MAESTRO|the mediator)['’]?s\s+\S*\d/i.test(reasoning)) scan.quoting++;
    const problem = quotedProposalProblem(reasoning, shown.quote, shown.bounds);
    if (problem !== null) {
      scan.flagged.push({
        negotiationId: turn.negotiationId,
        agent: turn.agent,
        round: turn.round,
        reasoning,
        problem,
      });
    }
  }
  return scan;
}

function main(files: string[]): void {
  if (files.length === 0) throw new Error('usage: npm run negotiator:quotes -- FILE.turns.jsonl …');
  const turns = files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as RecordedTurn),
  );
  const scan = scanQuotes(turns);
  console.log(
    `${files.length} file(s): ${scan.answers} answers to a proposal, ${scan.quoting} quoting MAESTRO, ${scan.flagged.length} flagged`,
  );
  for (const f of scan.flagged)
    console.log(`  ${f.negotiationId} ${f.agent} r${f.round}: ${f.reasoning} | ${f.problem}`);
}

if (import.meta.main) main(process.argv.slice(2));
