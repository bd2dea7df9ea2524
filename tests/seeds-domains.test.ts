/** The four taxonomy-drawn seed sets in data/seeds/domains/ read cleanly and cover what the README says. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAllSeeds } from '../stages/seeds/index.js';
import { repo, tempDir } from './helpers.js';

const dir = join(repo, 'data', 'seeds', 'domains');
const files = ['stem', 'humanities', 'social-sciences', 'medicine'].map(d => join(dir, `${d}.csv`));

describe('data/seeds/domains', () => {
  it('holds at least 50 valid, distinct seeds for each of the four domains, each with a subdomain', async () => {
    const seeds = await readAllSeeds(files);
    const byDomain = new Map<string, number>();
    for (const s of seeds) byDomain.set(s.domain, (byDomain.get(s.domain) ?? 0) + 1);
    expect([...byDomain.keys()].sort()).toEqual(['humanities', 'medicine', 'social-sciences', 'stem']);
    for (const [domain, n] of byDomain) expect(n, domain).toBeGreaterThanOrEqual(50);
    expect(new Set(seeds.map(s => s.id)).size).toBe(seeds.length);
    expect(seeds.every(s => s.subdomain && s.text.split(' ').length >= 2)).toBe(true);
    expect(new Set(seeds.map(s => s.type))).toEqual(new Set(['keyword', 'question']));
  });

  it('names the taxonomy of every file in the README', async () => {
    const readme = await readFile(join(repo, 'data', 'seeds', 'README.md'), 'utf8');
    for (const f of ['stem', 'humanities', 'social-sciences', 'medicine']) expect(readme).toContain(`domains/${f}.csv`);
    for (const t of ['arXiv category taxonomy', 'Library of Congress Classification', 'MeSH'])
      expect(readme).toContain(t);
  });

  it('names the file and row of a bad line in a copy of a real seed file', async () => {
    const lines = (await readFile(files[3]!, 'utf8')).split('\n');
    lines[7] = 'medicine,anatomy,keyword'; // row 7 loses its text column
    const bad = join(await tempDir(), 'medicine-bad.csv');
    await writeFile(bad, lines.join('\n'));
    await expect(readAllSeeds([bad])).rejects.toThrow(`${bad} row 7: expected 4 columns like the header, got 3`);
    lines[7] = 'medicine,anatomy,sentence,the spleen';
    await writeFile(bad, lines.join('\n'));
    await expect(readAllSeeds([bad])).rejects.toThrow(`${bad} row 7 field 'type': unknown type 'sentence'`);
  });
});
