/** The regulatory unit's pieces on their own: chunking, table reading, the 38.306 formula. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  findBandBandwidths,
  findKeyedValues,
  findNrb,
  maxDataRateMbps,
  parseFactNumber,
  regulateCell,
  type PassageRetriever,
} from '../../activities/agent/regulatory.ts';
import { cellConfigSchema } from '../../core/negotiation/schemas.ts';
import {
  chunkMarkdown,
  deglueBandNote,
  specNameOf,
  splitSpecHeading,
  type CorpusChunk,
} from '../../core/regulatory/markdown-chunks.ts';
import { sharedSpecsDir } from '../../core/regulatory/sources.ts';
import type { RetrievedPassage } from '../../core/regulatory/vector-index.ts';

const passage = (chunk: CorpusChunk, score = 0.7): RetrievedPassage => ({
  text: chunk.text,
  source: chunk.source,
  score,
  chunk,
});
const project = (md: string): CorpusChunk[] =>
  chunkMarkdown(md, { file: 'regulatory-corpus/x.md', name: 'regulatory-corpus/x.md', kind: 'project' });

describe('3GPP heading and band parsing', () => {
  it('splits glued clause numbers from titles, letter suffixes included', () => {
    assert.deepEqual(splitSpecHeading('5.3.2Maximum transmission bandwidth configuration'), {
      clause: '5.3.2',
      title: 'Maximum transmission bandwidth configuration',
    });
    assert.equal(splitSpecHeading('5.2AOperating bands for CA').clause, '5.2A');
    assert.equal(splitSpecHeading('5.2A.2.1Inter-band CA (two bands)').clause, '5.2A.2.1');
    assert.equal(splitSpecHeading('5.2E.1ASidelink CA operating bands').clause, '5.2E.1A');
    assert.equal(splitSpecHeading('4.1Relationship between minimum requirements').clause, '4.1');
    assert.equal(splitSpecHeading('A.1General').clause, 'A.1');
    assert.equal(splitSpecHeading('Annex B (informative):Change history').clause, 'Annex B');
    assert.equal(splitSpecHeading('Foreword').clause, null);
    assert.equal(specNameOf('38.101-1_RF_Requirements_FR1_j50.md'), 'TS 38.101-1');
  });

  it('separates note markers glued to band names', () => {
    assert.equal(deglueBandNote('n7917'), 'n79 (note 17)');
    assert.equal(deglueBandNote('n303'), 'n30 (note 3)');
    assert.equal(deglueBandNote('n666,7'), 'n66 (notes 6,7)');
    assert.equal(deglueBandNote('n78'), 'n78');
    assert.equal(deglueBandNote('n100'), 'n100');
    assert.equal(deglueBandNote('n1006'), 'n100 (note 6)');
  });
});

describe('chunking', () => {
  const md = [
    '# Cell rules',
    '',
    '## Resource blocks (TS 38.101-1 §5.3.2, Table 5.3.2-1)',
    '',
    'Some prose about resource blocks.',
    '',
    'Table: N_RB per channel (TS 38.101-1 §5.3.2, Table 5.3.2-1)',
    '',
    '| SCS (kHz)     | Channel bandwidth (MHz) | N_RB |',
    '| ------------- | ----------------------- | ---- |',
    ...Array.from({ length: 60 }, (_, i) => `| 30            | ${i + 1}                      | ${i * 3} |`),
  ].join('\n');
  const chunks = project(md);

  it('keeps every table row with its title and header, and drops alignment padding', () => {
    const tableChunks = chunks.filter((c) => c.table !== null);
    assert.ok(tableChunks.length > 1, 'the long table is split into several chunks');
    for (const c of tableChunks) {
      assert.equal(c.table, 'N_RB per channel (TS 38.101-1 §5.3.2, Table 5.3.2-1)');
      assert.match(c.text, /\| SCS \(kHz\) \| Channel bandwidth \(MHz\) \| N_RB \|\n\| --- \| --- \| --- \|/);
      assert.ok(!c.text.includes('  |'), 'padding removed');
    }
    const rows = tableChunks.flatMap((c) => c.text.split('\n').filter((l) => /^\| 30 \|/.test(l)));
    assert.equal(rows.length, 60, 'no row lost or duplicated');
  });

  it('names the document and the clause in the source, and starts the text with it', () => {
    const prose = chunks.find((c) => c.text.includes('Some prose'))!;
    assert.equal(prose.clause, 'TS 38.101-1 §5.3.2, Table 5.3.2-1');
    assert.match(prose.source, /^regulatory-corpus\/x\.md › Resource blocks/);
    assert.match(prose.text, /^regulatory-corpus\/x\.md Cell rules › Resource blocks/);
  });

  it(
    'chunks the shared TS 38.101-1 so that Table 5.3.2-1 keeps its clause and its rows',
    { skip: !existsSync(sharedSpecsDir) },
    () => {
      const file = '38.101-1_RF_Requirements_FR1_j50.md';
      const specChunks = chunkMarkdown(readFileSync(path.join(sharedSpecsDir, file), 'utf8'), {
        file: `3gpp-specs/${file}`,
        name: 'TS 38.101-1',
        kind: 'spec',
      });
      const nrb = specChunks.find((c) => c.table?.startsWith('Table 5.3.2-1'))!;
      assert.equal(nrb.clause, '5.3.2');
      assert.match(nrb.source, /^TS 38\.101-1 §5\.3\.2 Maximum transmission bandwidth configuration, Table 5\.3\.2-1/);
      assert.equal(findNrb([passage(nrb)], 30, 40)?.value, 106);
      assert.equal(findNrb([passage(nrb)], 15, 20)?.value, 106);
      assert.ok(
        specChunks.some((c) => c.text.includes('| n79 (note 17) |')),
        'band notes de-glued',
      );
    },
  );
});

describe('reading facts from table passages', () => {
  it('parses fractions, equations and plain numbers', () => {
    assert.equal(parseFactNumber('948/1024 = 0.92578125'), 0.92578125);
    assert.equal(parseFactNumber('948/1024'), 948 / 1024);
    assert.equal(parseFactNumber('0.14'), 0.14);
    assert.equal(parseFactNumber('n/a'), null);
  });

  const corpus = project(
    [
      '# Rules',
      '## Bands (TS 38.101-1 §5.3.5)',
      'Table: Channel bandwidths (TS 38.101-1 §5.3.5, Table 5.3.5-1)',
      '| Band | SCS (kHz) | Channel bandwidths (MHz) |',
      '| --- | --- | --- |',
      '| n78 | 30 | 10, 15, 20, 40, 100 |',
      '| n28 | 15 | 5, 10, 20 |',
      '## Constants (TS 38.306 §4.1.2)',
      'Table: Parameters (TS 38.306 §4.1.2)',
      '| Parameter | Symbol | Value | Clause |',
      '| --- | --- | --- | --- |',
      '| Maximum code rate | R_max | 948/1024 = 0.92578125 | TS 38.306 §4.1.2 |',
      '| Overhead | OH_FR1_DL | 0.14 | TS 38.306 §4.1.2 |',
      '| Modulation order | Qm_256QAM | 8 | TS 38.211 |',
      '## Rules (maestro rules)',
      'Table: Shared-cell operating rules (maestro rules)',
      '| Rule | Statement | Parameter | Value |',
      '| --- | --- | --- | --- |',
      '| SH-1 | margin | maxUtilisation | 0.9 |',
      '## PRBs (TS 38.101-1 §5.3.2)',
      'Table: N_RB (TS 38.101-1 Table 5.3.2-1)',
      '| SCS (kHz) | Channel bandwidth (MHz) | N_RB |',
      '| --- | --- | --- |',
      '| 30 | 40 | 106 |',
    ].join('\n'),
  ).map((c) => passage(c));

  it('finds band bandwidths, constants and rules by their keys', () => {
    assert.deepEqual(findBandBandwidths(corpus, 'n78', 30)?.value, [10, 15, 20, 40, 100]);
    assert.equal(findBandBandwidths(corpus, 'n78', 15), null);
    const constants = findKeyedValues(corpus, 'symbol');
    assert.equal(constants.get('R_max')?.value, 0.92578125);
    assert.equal(constants.get('Qm_256QAM')?.value, 8);
    assert.equal(findKeyedValues(corpus, 'parameter').get('maxUtilisation')?.value, 0.9);
  });

  it('computes the TS 38.306 §4.1.2 rate by hand: 40 MHz, 30 kHz, 1 layer, 256QAM, FR1 DL = 226.85 Mbps', () => {
    // 1e-6 · 1 · 8 · 1 · 948/1024 · (106 · 12 / (1e-3 / 28)) · 0.86
    const expected = 1e-6 * 8 * (948 / 1024) * ((106 * 12 * 28) / 1e-3) * 0.86;
    const rate = maxDataRateMbps({
      layers: 1,
      qm: 8,
      scalingFactor: 1,
      rMax: 0.92578125,
      nPrb: 106,
      numerology: 1,
      overhead: 0.14,
    });
    assert.ok(Math.abs(rate - expected) < 1e-9);
    assert.ok(Math.abs(rate - 226.85) < 0.01);
  });

  it('caps the cell with citations, and reports what it could not find instead of guessing', async () => {
    const retriever: PassageRetriever = { query: () => Promise.resolve(corpus) };
    const cell = cellConfigSchema.parse({ band: 'n78', channelBandwidthMHz: 40, subcarrierSpacingKHz: 30 });
    const regulation = await regulateCell(retriever, cell);
    assert.equal(regulation.maxDataRateMbps, 226.85);
    assert.equal(regulation.operatingCapMbps, 204.17);
    assert.deepEqual(regulation.problems, []);
    assert.ok(regulation.citations.some((c) => c.claim.includes('N_RB = 106') && c.source.includes('N_RB')));

    const noRules: PassageRetriever = {
      query: () => Promise.resolve(corpus.filter((p) => !p.text.includes('maxUtilisation'))),
    };
    const partial = await regulateCell(noRules, cell);
    assert.equal(partial.operatingCapMbps, null);
    assert.ok(partial.problems.some((p) => p.code === 'regulatory_fact_missing' && p.message.includes('SH-1')));

    const wrongBandwidth = await regulateCell(retriever, { ...cell, channelBandwidthMHz: 50 });
    assert.ok(wrongBandwidth.problems.some((p) => p.code === 'regulatory_violation'));
  });
});
