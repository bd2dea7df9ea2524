"""datatrove's MinHash signature step on a JSONL file, one worker: prints {"docs", "seconds"} as JSON."""
import json
import shutil
import sys
import tempfile
import time

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupSignature
from datatrove.pipeline.readers import JsonlReader
from datatrove.utils.hashing import HashConfig


def main(path: str, bands: int, rows: int, ngram: int) -> None:
    work = tempfile.mkdtemp(prefix="dt-minhash-")
    config = MinhashConfig(hash_config=HashConfig(precision=32), num_buckets=bands, hashes_per_bucket=rows, n_grams=ngram)
    folder, name = path.rsplit("/", 1)
    pipeline = [
        JsonlReader(folder, glob_pattern=name, text_key="text", id_key="id"),
        MinhashDedupSignature(output_folder=f"{work}/sigs", config=config),
    ]
    executor = LocalPipelineExecutor(pipeline=pipeline, tasks=1, workers=1, logging_dir=f"{work}/logs", skip_completed=False)
    start = time.perf_counter()
    executor.run()
    seconds = time.perf_counter() - start
    docs = sum(1 for _ in open(path))
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"docs": docs, "seconds": seconds}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
