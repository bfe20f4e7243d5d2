/**
 * Extraction unit: turns an agent's raw answer into a service intent {value, reasoning}.
 * Schema-constrained decoding makes most answers clean JSON; models behind other endpoints (or
 * truncated answers) still produce code fences, prose around the JSON, or "52 Mbps" for a number.
 * Those are repaired here; anything else is rejected with a reason the LLM unit can feed back.
 */
import { serviceIntentSchema, type ServiceIntent } from '../../core/negotiation/schemas.ts';

export type ExtractionOutcome = { ok: true; intent: ServiceIntent; repaired: boolean } | { ok: false; problem: string };

const firstJsonObject = (text: string): string | null => {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  return start >= 0 && end > start ? text.slice(start, end + 1) : null;
};

const numberFrom = (raw: unknown): unknown => {
  if (typeof raw !== 'string') return raw;
  const match = /-?\d+(\.\d+)?/.exec(raw.replace(/,/g, ''));
  return match ? Number(match[0]) : raw;
};

export function extractServiceIntent(raw: string): ExtractionOutcome {
  const candidate = firstJsonObject(raw.trim());
  if (candidate === null) return { ok: false, problem: 'the answer contains no JSON object' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(candidate);
  } catch (err) {
    return { ok: false, problem: `the answer is not valid JSON (${(err as Error).message})` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, problem: 'the answer must be a JSON object' };
  }
  const record = parsed as Record<string, unknown>;
  const repairedValue = numberFrom(record.value);
  const repaired = candidate !== raw.trim() || repairedValue !== record.value;
  const result = serviceIntentSchema.safeParse({
    value: repairedValue,
    reasoning: typeof record.reasoning === 'string' ? record.reasoning.slice(0, 600) : record.reasoning,
  });
  if (!result.success) {
    return {
      ok: false,
      problem: result.error.issues.map((i) => `${i.path.join('.') || 'answer'}: ${i.message}`).join('; '),
    };
  }
  return { ok: true, intent: result.data, repaired };
}
