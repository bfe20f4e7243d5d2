/**
 * What MAESTRO may tell a BO (docs/NEGOTIATION.md, "Privacy"): its proposal, its own price and a
 * sentence. Never another party's demand, target or weight. MAESTRO's LLM reads every demand (it
 * mediates them), so its sentence is where one could slip out ("bo-2 asks 88.8"): every number in
 * it that is not a public one (the proposal, the topic's bounds, the round counts) is withheld.
 */

/** What stands in for a withheld number in MAESTRO's sentence. */
export const withheldNumber = '[withheld]';

// A number as a model writes one (optional sign, thousands separators, a decimal part), but not the
// digits of a word such as the party id `bo-2`, nor a generation ("5G", the prompts' own word): they
// are public, and withholding them garbles the sentence.
const numberPattern = /(?<![\w.]|[A-Za-z]-)(?:[-+]?\d[\d,]*(?:\.\d+)?|[-+]?\.\d+)(?!G\b)/g;

/**
 * MAESTRO's sentence with every number that does not print as a public value at two decimals (as
 * the prompts print them) replaced by `[withheld]`.
 */
export function publicSentence(sentence: string, publicValues: readonly number[]): string {
  const allowed = publicValues.filter(Number.isFinite).map((v) => Math.round(v * 100) / 100);
  return sentence.replace(numberPattern, (token) => {
    const value = Number(token.replaceAll(',', ''));
    if (Number.isFinite(value) && allowed.some((a) => Math.abs(a - value) < 0.005)) return token;
    return withheldNumber;
  });
}
