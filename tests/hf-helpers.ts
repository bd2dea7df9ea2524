import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inCI, repo } from './helpers.js';

/** The venv `npm run setup` makes (scripts/setup-python.mjs); QCC_HF_PYTHON names another interpreter. */
export const hfPython = process.env.QCC_HF_PYTHON ?? join(repo, '.venv', 'bin', 'python');

/** True when hfPython imports `datasets` and `huggingface_hub`; under CI their absence is a failure. */
export function haveHfPython(): boolean {
  const ok =
    existsSync(hfPython) &&
    spawnSync(hfPython, ['-c', 'import datasets, huggingface_hub'], { stdio: 'ignore' }).status === 0;
  const why = `no Python with datasets and huggingface_hub at ${hfPython}: run \`node scripts/setup-python.mjs\` (part of \`npm run setup\`)`;
  if (!ok && inCI) throw new Error(`CI=true but ${why}`);
  if (!ok) console.warn(`skipping the Hugging Face checks: ${why}`);
  return ok;
}

/** Runs a Python script offline (no hub access), with its own HF_HOME under `home`. */
export function runHfPython(
  script: string,
  args: string[],
  home: string,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(hfPython, ['-c', script, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: {
      ...process.env,
      HF_HOME: home,
      HF_HUB_OFFLINE: '1',
      HF_DATASETS_OFFLINE: '1',
      HF_DATASETS_DISABLE_PROGRESS_BARS: '1',
    },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Parses a card with huggingface_hub (DatasetCard → DatasetCardData), checks the metadata the Hub needs,
 * resolves every data_files glob, and reads the declared features with `datasets`. Prints
 * `ok <configs> configs <files> files`. (DatasetCard.validate() asks the Hub over the network, so the
 * same checks are made here.)
 */
export const HF_CARD_CHECK = `
import sys, glob, os
from huggingface_hub import DatasetCard, DatasetCardData
path, root = sys.argv[1], sys.argv[2]
card = DatasetCard.load(path)
assert isinstance(card.data, DatasetCardData), type(card.data)
d = card.data.to_dict()
for key in ("license", "language", "pretty_name", "size_categories", "task_categories", "configs", "dataset_info"):
    assert d.get(key), "missing " + key
n = 0
for c in d["configs"]:
    for f in c["data_files"]:
        files = glob.glob(os.path.join(root, f["path"]))
        assert files, c["config_name"] + ": " + f["path"] + " matches nothing"
        n += len(files)
assert DatasetCard(card.content).data.to_dict() == d
from datasets.info import DatasetInfosDict
infos = DatasetInfosDict.from_dataset_card_data(card.data)
assert sorted(infos) == sorted(c["config_name"] for c in d["configs"]), (sorted(infos), d["configs"])
features = [info.features for info in infos.values()]
assert all(f == features[0] for f in features), "configs declare different features"
print("ok", len(d["configs"]), "configs", n, "files")
`;
