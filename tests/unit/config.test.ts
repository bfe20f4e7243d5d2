import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  loadConfig,
  loadTopology,
  localChatModel,
  negotiatorChoices,
  projectRoot,
  temporalTopologySchema,
} from '../../core/config.ts';
import * as negotiationKeys from '../../core/negotiation/search-attributes.ts';
import * as trainingKeys from '../../core/training/search-attributes.ts';

describe('configuration', () => {
  it('temporal.yaml is valid and declares every search attribute the code uses, with the same type', () => {
    const topology = loadTopology();
    for (const key of [...Object.values(negotiationKeys), ...Object.values(trainingKeys)]) {
      const declared = topology.searchAttributes[key.name];
      assert.ok(declared, `${key.name} missing from temporal.yaml`);
      assert.equal(declared.toUpperCase(), key.type.replace('_', '').toUpperCase(), `${key.name} type`);
    }
  });
  it('rejects a topology without the required search attributes, naming the problem', () => {
    const topology = loadTopology();
    const broken = { ...topology, searchAttributes: { PartyCount: 'Int' } };
    const result = temporalTopologySchema.safeParse(broken);
    assert.equal(result.success, false);
    assert.match(JSON.stringify(result.error?.issues), /NegotiationStatus and CellId/);
  });
  it('defaults to the local model server and ports 8080/7233/8233', () => {
    const config = loadConfig({});
    assert.equal(config.apiPort, 8080);
    assert.equal(config.temporalAddress, '127.0.0.1:7233');
    assert.equal(config.temporalUiPort, 8233);
    assert.equal(config.model.baseURL, 'http://127.0.0.1:8000/v1');
    assert.equal(config.model.jsonMode, 'llama_cpp');
    assert.equal(config.ownsTemporalServer, true);
    assert.equal(config.embeddings.baseURL, 'http://127.0.0.1:8000/v1');
    assert.equal(config.embeddings.model, 'all-minilm-l6-v2');
    assert.equal(config.metricsPort, 9464);
    assert.equal(config.arbitralJudge, 'off', 'the local 135M judge measured F1 0: classifier alone');
  });
  it('names the chat model the local server serves: the trained negotiator when installed, else the base', () => {
    const gguf = path.join(mkdtempSync(path.join(tmpdir(), 'negotiator-')), 'negotiator.gguf');
    assert.equal(localChatModel('trained', gguf), 'smollm2-135m-instruct');
    writeFileSync(gguf, 'GGUF');
    assert.equal(localChatModel('trained', gguf), 'maestro-negotiator');
    assert.equal(localChatModel('base', gguf), 'smollm2-135m-instruct');
    assert.equal(localChatModel('persona', gguf), 'maestro-negotiator-persona', 'the one that plays personalities');
    assert.equal(loadConfig({ MAESTRO_LLM_MODEL: 'maestro-negotiator-persona' }).model.temperature, 0, 'greedy');
    assert.equal(loadConfig({ MAESTRO_NEGOTIATOR: 'base' }).model.model, 'smollm2-135m-instruct');
    assert.equal(loadConfig({ MAESTRO_NEGOTIATOR: 'base' }).model.temperature, 0.7);
    assert.equal(loadConfig({ MAESTRO_LLM_MODEL: 'maestro-negotiator' }).model.temperature, 0, 'greedy');
    assert.equal(
      loadConfig({ MAESTRO_LLM_MODEL: 'maestro-negotiator', MAESTRO_LLM_TEMPERATURE: '0.9' }).model.temperature,
      0.9,
    );
    assert.equal(loadConfig({ MAESTRO_LLM_MODEL: 'negotiator-rs1' }).model.model, 'negotiator-rs1');
    assert.throws(() => loadConfig({ MAESTRO_NEGOTIATOR: 'trainee' }), ConfigError);
  });
  it('gives the BO the prompt its negotiator was trained on: the split ladder, the ladder, else plain', () => {
    // the default negotiator is the split one (session 31); where its GGUF is not installed the base model
    // answers, with the plain prompt
    const defaults = loadConfig({});
    assert.equal(defaults.negotiator, 'split');
    assert.equal(defaults.boPrompt, defaults.model.model === 'maestro-negotiator-split' ? 'ladder-split' : 'plain');
    assert.equal(loadConfig({ MAESTRO_NEGOTIATOR: 'trained' }).boPrompt, 'plain');
    assert.equal(loadConfig({ MAESTRO_LLM_MODEL: 'maestro-negotiator-weighted' }).boPrompt, 'ladder');
    assert.equal(loadConfig({ MAESTRO_LLM_MODEL: 'maestro-negotiator-weighted' }).model.temperature, 0, 'greedy');
    assert.equal(loadConfig({ MAESTRO_LLM_MODEL: 'maestro-negotiator-persona' }).boPrompt, 'plain');
    assert.equal(loadConfig({ MAESTRO_LLM_MODEL: 'gpt-4o', MAESTRO_BO_PROMPT: 'ladder' }).boPrompt, 'ladder');
    assert.equal(loadConfig({ MAESTRO_BO_PROMPT: 'ladder-split' }).boPrompt, 'ladder-split');
    assert.equal(loadConfig({ MAESTRO_NEGOTIATOR: 'weighted' }).negotiator, 'weighted');
    assert.equal(loadConfig({ MAESTRO_LLM_MODEL: 'maestro-negotiator-split' }).boPrompt, 'ladder-split');
    assert.equal(loadConfig({ MAESTRO_LLM_MODEL: 'maestro-negotiator-split' }).model.temperature, 0, 'greedy');
    assert.throws(() => loadConfig({ MAESTRO_BO_PROMPT: 'verbose' }), ConfigError);
    // MAESTRO's off-mode prompt goes with the model too: the split negotiator reads where the moves point
    assert.equal(loadConfig({ MAESTRO_LLM_MODEL: 'maestro-negotiator-split' }).mediatorPrompt, 'moves');
    assert.equal(loadConfig({ MAESTRO_LLM_MODEL: 'maestro-negotiator-weighted' }).mediatorPrompt, 'mean');
    assert.equal(loadConfig({ MAESTRO_LLM_MODEL: 'gpt-4o' }).mediatorPrompt, 'mean');
    assert.equal(
      loadConfig({ MAESTRO_LLM_MODEL: 'maestro-negotiator-split', MAESTRO_MEDIATOR_PROMPT: 'mean' }).mediatorPrompt,
      'mean',
    );
    assert.equal(loadConfig({ MAESTRO_LLM_MODEL: 'gpt-4o', MAESTRO_MEDIATOR_PROMPT: 'moves' }).mediatorPrompt, 'moves');
    assert.throws(() => loadConfig({ MAESTRO_MEDIATOR_PROMPT: 'median' }), ConfigError);
  });
  it("keeps the candidate scripts off every shipped negotiator's name (negotiator/candidate-name.sh)", () => {
    // a candidate exported as data/models/negotiator-split.gguf was served as the shipped split (session 31)
    const script = readFileSync(path.join(projectRoot, 'negotiator', 'candidate-name.sh'), 'utf8');
    const refused = /case \$1 in ([a-z |]+)\)/
      .exec(script)?.[1]
      ?.split('|')
      .map((n) => n.trim());
    assert.deepEqual(new Set(refused), new Set(negotiatorChoices));
  });
  it('stamps recorded games with the code that played them (negotiator/games-stamp.sh)', () => {
    // session 32's PPO dev set read Fig. 3a games that session 29's teacher had played under the same tag
    const repo = mkdtempSync(path.join(tmpdir(), 'stamp-'));
    const script = path.join(projectRoot, 'negotiator', 'games-stamp.sh');
    const stamp = (...files: string[]): string =>
      execFileSync('bash', ['-c', `. '${script}' && games_stamp "$@"`, 'stamp', ...files], { cwd: repo })
        .toString()
        .trim();
    execFileSync('git', ['init', '-q'], { cwd: repo });
    mkdirSync(path.join(repo, 'activities'));
    writeFileSync(path.join(repo, 'activities', 'unit.ts'), 'export const a = 1;\n');
    writeFileSync(path.join(repo, 'notes.md'), 'one\n');
    const first = stamp();
    assert.match(first, /^[0-9a-f]{10}$/);
    writeFileSync(path.join(repo, 'notes.md'), 'two\n');
    assert.equal(stamp(), first, 'a file that plays no part leaves it');
    writeFileSync(path.join(repo, 'activities', 'unit.ts'), 'export const a = 2;\n');
    const changed = stamp();
    assert.notEqual(changed, first, 'uncommitted changes to the workflow code count');
    assert.notEqual(stamp('notes.md'), changed, 'so does a served model named beside it');
  });
  it('points the same code at any OpenAI-compatible endpoint with the standard json_schema format', () => {
    const config = loadConfig({
      OPENAI_BASE_URL: 'https://api.openai.com/v1',
      OPENAI_API_KEY: 'sk-x',
      MAESTRO_LLM_MODEL: 'gpt-4o',
    });
    assert.equal(config.model.jsonMode, 'json_schema');
    assert.equal(config.model.model, 'gpt-4o');
    assert.equal(config.model.isLocalServer, false);
    assert.equal(config.embeddings.baseURL, 'https://api.openai.com/v1');
    assert.equal(config.arbitralJudge, 'escalate');
    assert.equal(loadConfig({ MAESTRO_ARBITRAL_JUDGE: 'decide' }).arbitralJudge, 'decide');
    assert.throws(() => loadConfig({ MAESTRO_ARBITRAL_JUDGE: 'maybe' }), ConfigError);
  });
  it('fails fast on a bad port', () => {
    assert.throws(() => loadConfig({ MAESTRO_API_PORT: 'eighty' }), ConfigError);
  });
});
