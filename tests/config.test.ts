import { writeFile, mkdir } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../pipeline/config.js';
import { DEFAULT_JUDGE_PROMPT } from '../stages/relevance/config.js';
import { haveSharedData, repo, tempDir } from './helpers.js';

async function configWith(body: string): Promise<string> {
  const dir = await tempDir('qcc-config-');
  await mkdir(join(dir, 'data'), { recursive: true });
  await writeFile(join(dir, 'data', 'seeds.csv'), 'domain,type,text\nmedicine,keyword,migraine\n');
  await writeFile(join(dir, 'data', 'docs.jsonl'), '{"id":"1","text":"hello"}\n');
  const file = join(dir, 'run.yaml');
  await writeFile(file, body);
  return file;
}

const valid = `
dataset: t
seeds: { files: [data/seeds.csv] }
bootstrap: { provider: none }
ingest:
  corpora: [{ path: data/docs.jsonl }]
`;

describe('config validation', () => {
  it('loads a valid config, applies defaults and resolves paths against the config folder', async () => {
    const file = await configWith(valid);
    const loaded = loadConfig(file);
    expect(loaded.config.retrieve.top_k).toBe(20);
    expect(loaded.config.seeds.files[0]).toBe(join(file, '..', 'data', 'seeds.csv'));
    expect(loaded.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(loaded.config.bootstrap.prompt.startsWith(repo)).toBe(true);
  });

  it('the output location is not part of the run identity', async () => {
    const file = await configWith(valid);
    expect(loadConfig(file, { out: '/tmp/a' }).hash).toBe(loadConfig(file, { out: '/tmp/b' }).hash);
  });

  it('names an unknown key and the file', async () => {
    const file = await configWith(valid + 'retrieve: { top_k: 5, topk: 9 }\n');
    expect(() => loadConfig(file)).toThrow(ConfigError);
    expect(() => loadConfig(file)).toThrow(new RegExp(`${file}: key \`retrieve.topk\`: unknown key`));
  });

  it('names a key with a wrong type', async () => {
    const file = await configWith(valid + 'retrieve: { top_k: "many" }\n');
    expect(() => loadConfig(file)).toThrow(/key `retrieve.top_k`/);
  });

  it('names a missing input file and its key', async () => {
    const file = await configWith(valid.replace('data/docs.jsonl', 'data/nowhere.jsonl'));
    expect(() => loadConfig(file)).toThrow(/key `ingest.corpora\[0\].path`: file not found: .*nowhere.jsonl/);
    const file2 = await configWith(valid + '  warc: [missing.warc.gz]\n');
    expect(() => loadConfig(file2)).toThrow(/key `ingest.warc\[0\]`: file not found/);
  });

  it('names a missing file a later step reads (URL blocklist, judge template) at load, before any work', async () => {
    const blocklist = await configWith(valid + 'filters: { url_blocklist: { file: data/blocked.txt } }\n');
    expect(() => loadConfig(blocklist)).toThrow(
      /key `filters.url_blocklist.file`: file not found: .*data\/blocked\.txt/,
    );
    await writeFile(join(blocklist, '..', 'data', 'blocked.txt'), 'example.com\n');
    expect(loadConfig(blocklist).config.filters.url_blocklist.file).toBe('data/blocked.txt');

    const judged = valid.replace('bootstrap: { provider: none }', 'bootstrap: { provider: llama }');
    // A template given in the config is the config's, like every other path in it.
    const prompt = await configWith(judged + 'relevance: { enabled: true, judge: { prompt: prompts/none.txt } }\n');
    expect(() => loadConfig(prompt)).toThrow(
      new RegExp(`key \`relevance.judge.prompt\`: file not found: ${join(prompt, '..')}/prompts/none\\.txt`),
    );
    await mkdir(join(prompt, '..', 'prompts'), { recursive: true });
    await writeFile(join(prompt, '..', 'prompts', 'none.txt'), readFileSync(join(repo, DEFAULT_JUDGE_PROMPT), 'utf8'));
    expect(loadConfig(prompt).config.relevance.judge.prompt).toBe(join(prompt, '..', 'prompts', 'none.txt'));
    const chat = await configWith(
      judged.replace('provider: llama', 'provider: openai, model: m') +
        'relevance: { enabled: true, judge: { chat_prompt: nowhere.txt } }\n',
    );
    expect(() => loadConfig(chat)).toThrow(/key `relevance.judge.chat_prompt`: file not found/);
    const defaults = await configWith(judged + 'relevance: { enabled: true }\n');
    expect(loadConfig(defaults).config.relevance.enabled).toBe(true);
  });

  it('reads ${VAR:-default} from the environment and names an unset variable', async () => {
    const file = await configWith(valid.replace('data/docs.jsonl', "'${QCC_TEST_DIR:-data}/docs.jsonl'"));
    expect(loadConfig(file).config.ingest.corpora[0]!.path.endsWith('data/docs.jsonl')).toBe(true);
    const file2 = await configWith(valid.replace('data/docs.jsonl', "'${QCC_TEST_SURELY_UNSET}/docs.jsonl'"));
    expect(() => loadConfig(file2)).toThrow(/QCC_TEST_SURELY_UNSET is not set/);
  });

  it.runIf(haveSharedData())('the demo config validates', () => {
    const loaded = loadConfig(join(repo, 'config', 'demo.yaml'));
    expect(loaded.archives.length).toBeGreaterThan(3);
    expect(loaded.config.bootstrap.provider).toBe('llama');
  });
});

describe('config/profiles', () => {
  // A profile is keys to copy into a run config: each one, over a minimal valid config, must load.
  const profiles = readdirSync(join(repo, 'config', 'profiles')).filter(f => f.endsWith('.yaml'));
  it.each(profiles)('%s is a valid part of a run config', async name => {
    const profile = parseYaml(readFileSync(join(repo, 'config', 'profiles', name), 'utf8')) as Record<string, any>;
    const base = parseYaml(valid) as Record<string, any>;
    const merged: Record<string, any> = { ...base, ...profile };
    for (const key of Object.keys(profile))
      if (typeof base[key] === 'object' && typeof profile[key] === 'object')
        merged[key] = { ...base[key], ...profile[key] };
    const loaded = loadConfig(await configWith(stringifyYaml(merged)));
    for (const [section, keys] of Object.entries(profile))
      for (const key of Object.keys(keys as object))
        expect((loaded.config as Record<string, any>)[section]).toHaveProperty(key);
  });
});
