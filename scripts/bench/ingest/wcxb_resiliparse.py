"""Resiliparse's word F1 on the WCXB development split, scored as WCXB's README scores (bag of lower-cased \\w+
words per page, averaged over pages; 1.0 for an empty annotation with an empty output), per page type and for the
two parts of scripts/bench/ingest/extraction-eval.mjs (SHA-1 of the file id, first byte < 128 = dev). A peer's
figure beside qcc's (`npx tsx scripts/bench/ingest/extraction-eval.mjs --wcxb --halves`); nothing is tuned on it.
    .venv-bench/bin/python scripts/bench/ingest/wcxb_resiliparse.py [../shared/data/extraction/wcxb-dev/dev]
"""
import gzip, hashlib, json, os, re, sys
from collections import Counter, defaultdict

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.encoding import bytes_to_str, detect_encoding

here = os.path.dirname(os.path.abspath(__file__))
root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.environ.get("QCC_SHARED_DATA", os.path.join(here, "..", "..", "..", "..", "shared", "data")),
    "extraction", "wcxb-dev", "dev")


def word_f1(predicted, reference):
    pred = Counter(re.findall(r"\w+", predicted.lower()))
    ref = Counter(re.findall(r"\w+", reference.lower()))
    if not ref:
        return 1.0 if not pred else 0.0
    if not pred:
        return 0.0
    overlap = sum((pred & ref).values())
    p, r = overlap / sum(pred.values()), overlap / sum(ref.values())
    return 2 * p * r / (p + r) if p + r else 0.0


scores = defaultdict(list)
for name in sorted(os.listdir(os.path.join(root, "ground-truth"))):
    if not name.endswith(".json"):
        continue
    with open(os.path.join(root, "ground-truth", name), encoding="utf-8") as f:
        gt = json.load(f)
    file_id = gt.get("file_id") or name[:-5]
    kind = ((gt.get("_internal") or {}).get("page_type") or {}).get("primary", "unknown")
    part = "dev" if hashlib.sha1(file_id.encode()).digest()[0] < 128 else "val"
    with gzip.open(os.path.join(root, "html", name[:-5] + ".html.gz")) as f:
        body = f.read()
    text = extract_plain_text(bytes_to_str(body, detect_encoding(body)), main_content=True)
    v = word_f1(text, gt["ground_truth"].get("main_content") or "")
    for key in ("all", kind):
        scores[(part, key)].append(v)
        scores[("both", key)].append(v)

print("| page type | dev pages | dev F1 | val pages | val F1 | all pages | all F1 |")
print("|---|---|---|---|---|---|---|")
kinds = ["all"] + sorted({k for (_, k) in scores if k != "all"})
for k in kinds:
    cells = []
    for part in ("dev", "val", "both"):
        xs = scores.get((part, k), [])
        cells += [str(len(xs)), f"{sum(xs) / len(xs):.3f}" if xs else "-"]
    print(f"| {k} | " + " | ".join(cells) + " |")
