"""One timed pass of datatrove's WarcReader + trafilatura extraction (datatrove's Trafilatura settings:
favor_precision, no comments) over a WARC file, in this process; prints one JSON line.
deduplicate=False: trafilatura's dedup cache would blank repeated text and flatter the speed.
    .venv-bench/bin/python scripts/bench/ingest/run_datatrove.py <file.warc.gz>
"""
import json, os, resource, sys, time

from datatrove.pipeline.readers import WarcReader
from trafilatura import extract

path = sys.argv[1]
reader = WarcReader(os.path.dirname(path) or ".", glob_pattern=os.path.basename(path), doc_progress=False)
t0 = time.perf_counter()
c0 = time.process_time()
records = docs = chars = 0
for doc in reader.run():
    records += 1
    text = extract(doc.text, favor_precision=True, include_comments=False, deduplicate=False)
    if text:
        docs += 1
        chars += len(text)
seconds = time.perf_counter() - t0
print(json.dumps({
    "side": "datatrove+trafilatura", "docs": docs, "records": records, "chars": chars, "seconds": seconds,
    "cpu_seconds": time.process_time() - c0, "bytes": os.path.getsize(path),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
