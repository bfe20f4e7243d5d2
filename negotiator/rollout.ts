/**
 * `npm run negotiator:rollout -- [--split heldout] [--draw mixed|pairs [--pairs V-D,D-T,…]] [--n 40] [--from 0] [--samples 1] [--max-parties 10] [--min-parties 2]
 *    [--policy served|rule|constant|random|tactic|persona|weighted] [--temperature T] [--arbitration enforced|monitoring]
 *    [--prompt plain|ladder|ladder-split] [--mediator-prompt mean|moves] [--tag NAME] [--fresh] [--out FILE]`
 *
 * The negotiator's training environment (issue 15, item 1): each scenario (negotiator/scenarios.ts)
 * runs as the real negotiation workflow on a Temporal dev server with every agent unit (bench/lib
 * `runGames`), so a rollout uses the serving path's prompts, optimizer, validation, arbitration and
 * consensus rule and cannot drift from it. `--samples k` plays each scenario k times (different
 * workflow ids, so different sampling seeds); `--max-parties` keeps the split's scenarios with at most
 * that many parties (the first n of them from index `from`). `--draw pairs` plays Fig. 3a's setting instead
 * (scenarios.ts `drawPairScenario`: two parties of equal weight, the 25 personality pairs in turn, targets
 * drawn; `--pairs` keeps the named ones), and the summary adds each pair's outcome on Fig. 3a's scale and the ordering checked (fig3a.ts).
 * Every finished negotiation is scored per agent (negotiator/rewards.ts).
 *
 * Writes the episodes (scenario, final state, rewards, and every turn's messages and answer: the
 * data rejection sampling keeps from, or with a baseline policy a teacher's examples) to
 * data/negotiator/rollouts/<tag>.jsonl, and a summary with the issue's measures (consensus rate,
 * error to the optimum, rounds, wall time, rewards per agent and personality, mean concession per
 * personality) to results/negotiator-<tag>.json. Interrupted runs resume (runGames).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../core/config.ts';
import type { ChatModel } from '../core/llm/chat-model.ts';
import { runGames, writeResults, type Game } from '../bench/lib/games.ts';
import { policyNames, policyOver, promptOfPolicy, recording, type PolicyName, type RecordedTurn } from './policies.ts';
import { rewardEpisode } from './rewards.ts';
import {
  boPromptStyles,
  mediatorPromptStyles,
  negotiationRequestSchema,
  type BoPromptStyle,
  type MediatorPromptStyle,
  type NegotiationRequest,
} from '../core/negotiation/schemas.ts';
import {
  drawPairScenarios,
  drawScenarios,
  requestOf,
  scenarioDraws,
  scenarioSplits,
  type Scenario,
  type ScenarioDraw,
  type ScenarioSplit,
} from './scenarios.ts';
import type { Episode } from './episode.ts';
import { summarise } from './summary.ts';

const { values: args } = parseArgs({
  options: {
    split: { type: 'string', default: 'heldout' },
    draw: { type: 'string', default: 'mixed' },
    // with --draw pairs: only these personality pairs (cost party first), e.g. Fig. 3a's
    pairs: { type: 'string' },
    n: { type: 'string', default: '40' },
    from: { type: 'string', default: '0' },
    samples: { type: 'string', default: '1' },
    'max-parties': { type: 'string', default: '10' },
    // the students were trained on games of at most 3 parties; --min-parties 4 checks the larger ones alone
    'min-parties': { type: 'string', default: '2' },
    policy: { type: 'string', default: 'served' },
    temperature: { type: 'string' },
    tag: { type: 'string' },
    fresh: { type: 'boolean', default: false },
    // monitoring: the arbitral unit flags but sends no warnings, as bench:personalities plays Fig. 3a;
    // a teacher's games in both modes keep a student from reading "toxic" off the warning alone
    arbitration: { type: 'string', default: 'enforced' },
    // the BO prompt's style: default the ladder for the weighted teacher, else the configured negotiator's
    prompt: { type: 'string' },
    // what MAESTRO's off-mode prompt shows (MAESTRO_MEDIATOR_PROMPT); default the served negotiator's, and `mean`
    // for a policy
    'mediator-prompt': { type: 'string' },
    out: { type: 'string' },
  },
});

function positiveInt(name: string, text: string, min = 1): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${text}`);
  return value;
}
const split = args.split as ScenarioSplit;
if (!scenarioSplits.includes(split)) throw new Error(`--split must be one of ${scenarioSplits.join(', ')}`);
const draw = args.draw as ScenarioDraw;
if (!scenarioDraws.includes(draw))
  throw new Error(`--draw must be one of ${scenarioDraws.join(', ')}, got ${args.draw}`);
const policy = args.policy as PolicyName;
if (!policyNames.includes(policy)) throw new Error(`--policy must be one of ${policyNames.join(', ')}`);
const count = positiveInt('n', args.n);
const from = positiveInt('from', args.from, 0);
const samples = positiveInt('samples', args.samples);
const temperature = args.temperature === undefined ? undefined : Number(args.temperature);
if (temperature !== undefined && !(temperature >= 0 && temperature <= 2)) {
  throw new Error(`--temperature must be within [0, 2], got ${args.temperature}`);
}
const tag = args.tag ?? `${policy}-${split}${temperature === undefined ? '' : `-t${temperature}`}`;
if (!/^[A-Za-z0-9._-]+$/.test(tag)) throw new Error(`--tag may hold letters, digits, '.', '_' and '-' only`);

const maxParties = positiveInt('max-parties', args['max-parties'], 2);
const minParties = positiveInt('min-parties', args['min-parties'], 2);
const arbitration = args.arbitration;
if (arbitration !== 'enforced' && arbitration !== 'monitoring') {
  throw new Error(`--arbitration must be enforced or monitoring, got ${arbitration}`);
}
if (args.prompt !== undefined && !(boPromptStyles as readonly string[]).includes(args.prompt)) {
  throw new Error(`--prompt must be one of ${boPromptStyles.join(', ')}, got ${args.prompt}`);
}
const boPrompt: BoPromptStyle | undefined = (args.prompt as BoPromptStyle | undefined) ?? promptOfPolicy(policy);
if (
  args['mediator-prompt'] !== undefined &&
  !(mediatorPromptStyles as readonly string[]).includes(args['mediator-prompt'])
) {
  throw new Error(
    `--mediator-prompt must be one of ${mediatorPromptStyles.join(', ')}, got ${args['mediator-prompt']}`,
  );
}
// A policy's MAESTRO (policies.ts `ruleValue`) proposes the demands' mean, so its games show MAESTRO the mean
// alone: a `moves` line beside a mean answer would teach a student to ignore the line it is served with.
const mediatorPrompt: MediatorPromptStyle | undefined =
  (args['mediator-prompt'] as MediatorPromptStyle | undefined) ?? (policy === 'served' ? undefined : 'mean');
if (args.pairs !== undefined && draw !== 'pairs') throw new Error('--pairs goes with --draw pairs');
const onlyPairs = args.pairs?.split(',').map((p) => p.trim());
const scenarios =
  draw === 'pairs'
    ? drawPairScenarios(split, count, from, onlyPairs)
    : drawScenarios(split, count, from, maxParties, minParties);
const requestFor = (scenario: Scenario): NegotiationRequest =>
  arbitration === 'monitoring'
    ? negotiationRequestSchema.parse({ ...scenario.request, arbitration: { enabled: false } })
    : requestOf(scenario);
const games: Game[] = scenarios.flatMap((scenario) =>
  Array.from({ length: samples }, (_, s) => ({ id: `${scenario.id}-s${s}`, request: requestFor(scenario) })),
);

const episodesFile = path.join(projectRoot, 'data', 'negotiator', 'rollouts', `${tag}.jsonl`);
const turnsFile = path.join(projectRoot, 'data', 'negotiator', 'rollouts', `${tag}.turns.jsonl`);
mkdirSync(path.dirname(episodesFile), { recursive: true });
// --fresh starts the rollout over: its Temporal database and its recorded turns go together, so a
// resumed game never mixes turns of two runs under one workflow id.
if (args.fresh) {
  rmSync(turnsFile, { force: true });
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    rmSync(path.join(projectRoot, 'data', 'bench', `negotiator-${tag}.sqlite${suffix}`), { force: true });
  }
}
let recorded: Map<string, RecordedTurn[]> | null = null;
// Every policy's turns are recorded: a baseline's are a teacher's examples (distillation).
const wrap = (model: ChatModel): ChatModel => {
  const answering = policyOver(policy, model);
  const recorder = recording(answering, { file: turnsFile, ...(temperature === undefined ? {} : { temperature }) });
  recorded = recorder.turns;
  return recorder.model;
};
const { results, model, prompts } = await runGames(`negotiator-${tag}`, games, {
  wrapChatModel: wrap,
  ...(policy === 'served' ? {} : { modelName: policy }),
  ...(boPrompt ? { boPrompt } : {}),
  ...(mediatorPrompt ? { mediatorPrompt } : {}),
});

const byId = new Map(scenarios.map((s) => [s.id, s]));
const episodes: Episode[] = results.map((result) => {
  const match = /^(.*)-s(\d+)$/.exec(result.id)!;
  const scenario = byId.get(match[1]!)!;
  const turns = recorded?.get(result.state.id) ?? null;
  return {
    scenario,
    sample: Number(match[2]),
    workflowId: result.state.id,
    state: result.state,
    wallSeconds: result.wallSeconds,
    reward: rewardEpisode(requestFor(scenario), result.state),
    turns: turns && turns.length > 0 ? turns : null,
  };
});

writeFileSync(episodesFile, episodes.map((e) => JSON.stringify(e)).join('\n') + '\n');
process.stderr.write(`wrote ${path.relative(projectRoot, episodesFile)} (${episodes.length} episodes)\n`);

const command =
  `npm run negotiator:rollout -- --split ${split}${draw === 'mixed' ? '' : ` --draw ${draw}`}${onlyPairs ? ` --pairs ${onlyPairs.join(',')}` : ''} --n ${count}${from ? ` --from ${from}` : ''} --samples ${samples}${draw === 'mixed' && maxParties < 10 ? ` --max-parties ${maxParties}` : ''}${draw === 'mixed' && minParties > 2 ? ` --min-parties ${minParties}` : ''} ` +
  `--policy ${policy}${temperature === undefined ? '' : ` --temperature ${temperature}`}` +
  `${arbitration === 'monitoring' ? ' --arbitration monitoring' : ''}${args.prompt ? ` --prompt ${args.prompt}` : ''}` +
  `${args['mediator-prompt'] ? ` --mediator-prompt ${args['mediator-prompt']}` : ''}${args.tag ? ` --tag ${tag}` : ''}`;
writeResults(args.out ?? path.join(projectRoot, 'results', `negotiator-${tag}.json`), {
  command,
  model,
  split,
  scenarios: `the first ${count} ${draw === 'pairs' ? 'pair scenarios ' : ''}of ${split} from index ${from}${draw === 'mixed' && maxParties < 10 ? ` with at most ${maxParties} parties` : ''}${draw === 'mixed' && minParties > 2 ? ` with at least ${minParties} parties` : ''}: ${scenarios[0]!.id} … ${scenarios.at(-1)!.id}`,
  samplesPerScenario: samples,
  boPrompt: boPrompt ?? 'configured',
  prompts,
  temperature: temperature ?? 'configured',
  episodesFile: path.relative(projectRoot, episodesFile),
  ...summarise(episodes),
});
