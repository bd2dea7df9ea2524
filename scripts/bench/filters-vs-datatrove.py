"""datatrove's Gopher quality, Gopher repetition and C4 filters on a JSONL of {id, text}, each filter on the
original text (not chained), one JSON line per document: {id, gopher_quality, gopher_repetition, c4, c4_text,
tokens} (tokens: the words both Gopher filters counted, from datatrove's English word tokenizer, spaCy).
A verdict is null when the filter keeps the document, else datatrove's reason. Run by filters-vs-datatrove.mjs."""
import json
import sys

from datatrove.data import Document
from datatrove.pipeline.filters import C4QualityFilter, GopherQualityFilter, GopherRepetitionFilter
from datatrove.utils.text import split_into_words


def verdict(result):
    if result is True:
        return None
    return result[1] if isinstance(result, tuple) else "removed"


def main(path):
    quality, repetition, c4 = GopherQualityFilter(), GopherRepetitionFilter(), C4QualityFilter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            out = {"id": r["id"]}
            out["gopher_quality"] = verdict(quality.filter(Document(text=r["text"], id=r["id"])))
            out["gopher_repetition"] = verdict(repetition.filter(Document(text=r["text"], id=r["id"])))
            doc = Document(text=r["text"], id=r["id"])
            out["c4"] = verdict(c4.filter(doc))
            out["c4_text"] = doc.text if out["c4"] is None else None
            out["tokens"] = split_into_words(r["text"], "en")
            print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
