"""Issue 12, item 0: the whole UN General Debate archive segmented before and after reading hard-wrapped text.

    python -m bench.bench_segmentation            # 10,952 speeches, before and after: ~30-50 min on 2 free cores
    python -m bench.bench_segmentation --report   # write RESULTS.md from the speeches done so far
    python -m bench.bench_segmentation --smoke    # the first 40 speeches of the archive, seconds

Each speech's figures are appended to bench/work/segmentation/speeches.jsonl as soon as it is cut, and a
rerun skips the speeches already there, so an interrupted run goes on where it stopped. Speeches are cut in
an interleaved order (every 8th first, then the next 8th, ...), so a partial run is a systematic sample of
every decade; --report says how many of the archive's speeches its figures cover.

Speeches are read straight from ../shared/corpora/un-general-debate-1946-2024/speeches.tar.xz (decoded and
normalised as the .txt reader does) and segmented with the stand-in encoder's token limit, as the issue's
whole-archive build was. "Before" is the same segmenter with layout detection switched off in this process
(every document then takes the unwrapped path, which is the segmentation as it was); "after" is the
segmenter as it is. Speeches that are not hard-wrapped are cut both ways too, to check they come out the same.
Per decade: speeches (hard-wrapped among them), paragraphs per speech, words per sentence (mean and median),
and the share of sentences that open in lower case (a fragment cut at a line end: "of a post-2015
development agenda."). Line-end hyphens are counted by what became of them.

The paragraph rules are checked against the printers' own marks: many speeches of 2005-2014 also indent the
first line of each paragraph by a space, which normalisation removes and the rules never see. Where every
such speech's indented lines follow a sentence end (they mark paragraphs), the paragraph starts the rules
find (index.ingest.segment.paragraph_spans with the detected layout) are scored against the indented lines.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import tarfile
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from multiprocessing import Pool

from bench import common
from bench.common import table

ARCHIVE = common.UN_ARCHIVE
MODEL = common.STAND_IN_384
ARCHIVE_SPEECHES = 10_952  # the stand-in encoder of the whole-archive build (128-token windows)
_NAME = re.compile(r"([A-Z0-9]{3})_(\d+)_(\d{4})\.txt$")


@dataclass
class Cut:
    """One speech cut one way."""

    paragraphs: int
    sentence_words: list[int]
    lower_starts: int


@dataclass
class Speech:
    name: str
    year: int
    wrapped: bool
    before: Cut
    after: Cut
    hyphens_joined: int = 0
    hyphens_kept: int = 0
    furniture: int = 0
    starts: tuple[int, int, int] | None = None  # paragraph starts against the printed indentation


@dataclass
class Decade:
    speeches: int = 0
    wrapped: int = 0
    paragraphs: list[int] = field(default_factory=lambda: [0, 0])
    words: list[list[int]] = field(default_factory=lambda: [[], []])
    lower: list[int] = field(default_factory=lambda: [0, 0])


def read_speeches(limit: int | None = None) -> list[tuple[str, str, list[bool]]]:
    """(file name, normalised text, which of its non-empty lines were indented) of every speech in the archive."""
    from index.ingest.records import decode_bytes
    from index.textnorm import normalise

    out = []
    with tarfile.open(ARCHIVE, "r:xz") as archive:
        for member in archive:
            if not member.isfile() or not _NAME.search(member.name):
                continue
            raw, _ = decode_bytes(archive.extractfile(member).read())
            raw = (raw or "").replace("\r\n", "\n")
            indented = [line[:1] in (" ", "\t") for line in raw.split("\n") if line.strip()]
            out.append((member.name.rsplit("/", 1)[-1], normalise(raw), indented))
            if limit and len(out) >= limit:
                break
    return out


def score_paragraph_starts(text: str, indented: list[bool]) -> tuple[int, int, int] | None:
    """(true, false, missed) paragraph starts against the indented lines, or None where indentation does not
    mark this speech's paragraphs (too few indented lines, or some not after a sentence end)."""
    from index.ingest import reflow
    from index.ingest.segment import paragraph_spans

    lines = reflow.lines_of(text)
    layout = reflow.detect(text, lines)
    if layout is None or sum(indented) < 5 or len(indented) != len(lines):
        return None
    content = [i for i in range(len(lines)) if i not in layout.furniture]
    after_end = [reflow.ends_sentence(text[lines[p][0]:lines[p][1]]) for p, i in zip(content, content[1:]) if indented[i]]
    if not after_end or sum(after_end) < 0.8 * len(after_end):
        return None
    line_of = {a: i for i, (a, _) in enumerate(lines)}
    found = {line_of[a] for a, _ in paragraph_spans(text, layout=layout, lines=lines) if a in line_of}
    truth = {i for i in content[1:] if indented[i]}
    found.discard(content[0])
    return len(found & truth), len(found - truth), len(truth - found)


def _cut(segmenter, text: str, wrapped_reading: bool) -> tuple[Cut, dict]:
    from index.ingest import reflow
    from index.ingest.segment import passages_of

    detect = reflow.detect
    if not wrapped_reading:
        reflow.detect = lambda text, lines=None: None  # the segmentation as it was: every document unwrapped
    try:
        spans = segmenter.segment(text)
    finally:
        reflow.detect = detect
    passages = passages_of(text, spans)
    sentences = [p.text for p in passages["sentence"]]
    cut = Cut(len(passages["paragraph"]), [len(s.split()) for s in sentences], sum(s[:1].islower() for s in sentences))
    return cut, spans


def _segment_one(item: tuple[str, str, list[bool]]) -> Speech:
    from index.embed.encoder import load_encoder
    from index.ingest import reflow
    from index.ingest.segment import REFLOW, Segmenter, SentenceSplitter

    encoder = load_encoder(MODEL)
    segmenter = Segmenter(encoder.token_spans, encoder.max_tokens, SentenceSplitter())  # its memo: this speech
    name, text, indented = item
    year = int(_NAME.search(name).group(3))
    layout = reflow.detect(text)
    before, _ = _cut(segmenter, text, wrapped_reading=False)
    after, spans = _cut(segmenter, text, wrapped_reading=True)  # unwrapped: pysbd's splits come from the memo
    speech = Speech(name, year, layout is not None, before, after, furniture=len(layout.furniture) if layout else 0,
                    starts=score_paragraph_starts(text, indented))
    for start, end, replacement in spans.get(REFLOW, []):
        if text[start] == "-" and replacement == "":
            speech.hyphens_joined += 1
        elif text[start - 1] == "-" and text[start] == "\n":
            speech.hyphens_kept += 1
    return speech


def _speech_from(row: dict) -> Speech:
    return Speech(**{**row, "before": Cut(**row["before"]), "after": Cut(**row["after"]),
                     "starts": tuple(row["starts"]) if row["starts"] else None})


def main() -> None:
    p = common.parser(__doc__.split("\n")[0])
    p.add_argument("--report", action="store_true", help="write RESULTS.md from the speeches done so far")
    args = p.parse_args()
    jobs = max(1, os.cpu_count() or 1)
    checkpoint = common.work_dir("segmentation") / ("speeches-smoke.jsonl" if args.smoke else "speeches.jsonl")
    if args.smoke:
        checkpoint.unlink(missing_ok=True)
    done = {}
    if checkpoint.exists():
        for line in checkpoint.read_text(encoding="utf-8").splitlines():
            try:
                speech = _speech_from(json.loads(line))
            except ValueError:  # a line cut short when the run was stopped (or is being written now)
                continue
            done[speech.name] = speech
    if not args.report:
        items = read_speeches(40 if args.smoke else None)
        order = sorted(range(len(items)), key=lambda i: (i % 8, i))
        todo = [items[i] for i in order if items[i][0] not in done]
        with Pool(jobs) as pool, open(checkpoint, "a", encoding="utf-8") as out:
            for speech in pool.imap_unordered(_segment_one, todo, chunksize=4):
                done[speech.name] = speech
                out.write(json.dumps(asdict(speech)) + "\n")
                out.flush()
    speeches = sorted(done.values(), key=lambda s: s.name)

    decades: dict[int, Decade] = defaultdict(Decade)
    for s in speeches:
        d = decades[s.year // 10 * 10]
        d.speeches += 1
        d.wrapped += s.wrapped
        for i, cut in enumerate((s.before, s.after)):
            d.paragraphs[i] += cut.paragraphs
            d.words[i].extend(cut.sentence_words)
            d.lower[i] += cut.lower_starts
    rows, figures_decades = [], {}
    total = Decade()
    for decade in sorted(decades):
        d = decades[decade]
        rows.append(_row(f"{decade}s", d))
        figures_decades[decade] = _figures(d)
        total.speeches += d.speeches
        total.wrapped += d.wrapped
        for i in (0, 1):
            total.paragraphs[i] += d.paragraphs[i]
            total.words[i].extend(d.words[i])
            total.lower[i] += d.lower[i]
    rows.append(_row("**all**", total))
    joined = sum(s.hyphens_joined for s in speeches)
    kept = sum(s.hyphens_kept for s in speeches)
    furniture = sum(s.furniture for s in speeches)
    changed = sum(s.before != s.after for s in speeches if not s.wrapped)
    scored = [s.starts for s in speeches if s.starts]
    hit, extra, missed = (sum(x[i] for x in scored) for i in range(3))
    precision, recall = hit / max(1, hit + extra), hit / max(1, hit + missed)
    coverage = "" if len(speeches) >= ARCHIVE_SPEECHES or args.smoke else (
        f" of the archive's {ARCHIVE_SPEECHES:,} (a partial run: a systematic sample, every decade in it; rerun to "
        f"complete, it resumes)")
    body = f"""
{total.speeches:,} speeches{coverage} ({total.wrapped:,} hard-wrapped) read from `speeches.tar.xz`, segmented with the
stand-in encoder's 128-token windows ({jobs} processes). Before: every
document segmented as it was (lines or blank-line blocks are paragraphs, pysbd cuts at line ends). After:
hard-wrapped documents reflowed (index/ingest/reflow.py); of the other {total.speeches - total.wrapped:,}, cut both
ways, {changed} came out differently.

Paragraph starts against the printers' indentation ({len(scored):,} speeches whose indented lines all mark
paragraphs, {hit + missed:,} paragraph starts): precision {precision:.3f}, recall {recall:.3f}.

Passages in all: paragraphs {total.paragraphs[0]:,} → {total.paragraphs[1]:,}, sentences
{len(total.words[0]):,} → {len(total.words[1]):,}.

{table(["decade", "speeches (wrapped)", "paragraphs per speech", "words per sentence, mean", "median",
        "sentences opening in lower case"], rows)}

Line-end hyphens in the wrapped speeches: {joined + kept:,}; {joined:,} dropped (the speech spells the joined
word more often than the hyphenated one elsewhere), {kept:,} kept (printed records break lines at compounds:
Secretary-/General, self-/determination). Page furniture lines (page numbers, document symbols) left out of
passages: {furniture:,}.
"""
    figures = {"speeches": total.speeches, "wrapped": total.wrapped,
               "totals": _figures(total), "decades": figures_decades, "hyphens_joined": joined,
               "hyphens_kept": kept, "furniture_lines": furniture, "unwrapped_changed": changed,
               "paragraph_starts": {"speeches": len(scored), "hit": hit, "extra": extra, "missed": missed,
                                    "precision": precision, "recall": recall}}
    common.write_results("segmentation", "Whole UN archive: reading hard-wrapped speeches (issue 12, item 0)", body,
                         figures, smoke=args.smoke)


def _row(label: str, d: Decade) -> list:
    f = _figures(d)
    return [label, f"{d.speeches:,} ({d.wrapped:,})",
            f"{f['paragraphs_per_speech'][0]:.1f} → {f['paragraphs_per_speech'][1]:.1f}",
            f"{f['words_mean'][0]:.1f} → {f['words_mean'][1]:.1f}",
            f"{f['words_median'][0]:.0f} → {f['words_median'][1]:.0f}",
            f"{f['lower_share'][0]:.1%} → {f['lower_share'][1]:.1%}"]


def _figures(d: Decade) -> dict:
    return {
        "speeches": d.speeches,
        "wrapped": d.wrapped,
        "paragraphs": d.paragraphs,
        "sentences": [len(w) for w in d.words],
        "paragraphs_per_speech": [p / max(1, d.speeches) for p in d.paragraphs],
        "words_mean": [statistics.fmean(w) if w else 0.0 for w in d.words],
        "words_median": [statistics.median(w) if w else 0.0 for w in d.words],
        "lower_share": [low / max(1, len(w)) for low, w in zip(d.lower, d.words)],
    }


if __name__ == "__main__":
    main()
