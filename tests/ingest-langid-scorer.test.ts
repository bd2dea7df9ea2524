import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eld } from 'eld/medium';
import { describe, expect, it } from 'vitest';
import { eldDetect } from '../stages/ingest/eld-scorer.js';
import { haveSharedData, sharedData } from './helpers.js';

const sentencesDir = join(sharedData, 'langid', 'lingua-testdata', 'language-testdata', 'sentences');

/** What eld itself says, in eldDetect's shape. */
function reference(text: string) {
  const r = eld.detect(text);
  return {
    language: r.language,
    reliable: r.language ? r.isReliable() : false,
    scores: r.language ? Object.entries(r.getScores()) : [],
  };
}

describe.runIf(haveSharedData())('eldDetect gives what eld.detect gives', () => {
  it("on 30 sentences of each of lingua's 75 languages, alone and run together", () => {
    let checked = 0;
    for (const file of readdirSync(sentencesDir)
      .filter(f => f.endsWith('.txt'))
      .sort()) {
      const sentences = readFileSync(join(sentencesDir, file), 'utf8').split('\n').filter(Boolean).slice(0, 30);
      const texts = [...sentences, sentences.join(' '), sentences.join(' ').toUpperCase()];
      for (const t of texts) {
        expect(eldDetect(t), `${file}: ${t.slice(0, 60)}`).toEqual(reference(t));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2000);
  });

  it('on edge cases: empty, digits only, a word longer than 70 bytes, lone surrogates, mixed scripts', () => {
    const cases = [
      '',
      '   ',
      '12345 67 89 !!!',
      'a',
      'ab cd',
      'abc',
      'abcd',
      'abcde',
      `${'Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichenherstellungsbetrieb'.repeat(2)} ist lang`,
      'Привет \ud800 мир \udfff world',
      'naïve café déjà vu — “quotes” don’t',
      '日本語のテキストと English words 混在',
    ];
    for (const t of cases) expect(eldDetect(t), t).toEqual(reference(t));
  });
});
