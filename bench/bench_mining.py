"""Item 5: the recurring-formulation self-join at 100k sentences against sentence-transformers' paraphrase mining.

    python -m bench.bench_mining            # needs the real sentence vectors (bench_scale makes them; else ~5 min)
    python -m bench.bench_mining --smoke

The 100k sentence vectors: 25k real MiniLM embeddings of distinct sentences (KCNA 2024, then UN speeches cut
by the project's segmenter; cached in bench/work/vectors) plus 75k made from them by perturbation (as for the
1M scale test) — embedding 100k real sentences would take ~30 minutes on these 2 cores.

Each method runs in a fresh process (for its own peak memory), one after the other, twice, at the sentence
level's default threshold:
  ours      index.pairs.similar_pairs (what `recurring` runs): a batched FAISS range self-join, every pair >= threshold
  baseline  sentence_transformers.util.paraphrase_mining_embeddings (defaults: top_k 100, max_pairs 500,000),
            its pairs then cut at the same threshold
Quality: the share of the baseline's pairs >= threshold that ours finds.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from bench import common
from bench.common import Stats, table, verdict

TARGET_SPEEDUP = 3.0
TARGET_SHARE = 0.98
TARGET_PEAK_MB = 2048


def child(spec: str) -> dict:
    args = json.loads(spec)
    vectors = np.load(args["vectors"])
    base_rss = common.rss_mb()
    common.reset_peak_rss()
    threshold = args["threshold"]
    started = time.perf_counter()
    if args["method"] == "ours":
        from index.mining.pairs import similar_pairs

        i, j, s = similar_pairs(vectors, threshold)
    else:
        import torch
        from sentence_transformers.util import paraphrase_mining_embeddings

        found = paraphrase_mining_embeddings(torch.from_numpy(vectors), **args.get("baseline_kwargs", {}))
        arr = np.array([(a, b, sc) for sc, a, b in found], dtype=np.float64).reshape(-1, 3)
        keep = arr[:, 2] >= threshold
        i, j = np.minimum(arr[keep, 0], arr[keep, 1]).astype(np.int64), np.maximum(arr[keep, 0], arr[keep, 1]).astype(np.int64)
        s = arr[keep, 2].astype(np.float32)
        args["returned"] = len(found)
        args["lowest_returned"] = float(arr[:, 2].min()) if len(arr) else None
    seconds = time.perf_counter() - started
    np.save(args["out"], np.stack([i, j]).astype(np.int64))
    result = {"seconds": seconds, "pairs": int(len(i)), "peak_mb": common.peak_rss_mb(), "base_mb": base_rss,
              "returned": args.get("returned"), "lowest_returned": args.get("lowest_returned")}
    common.child_reply(result)
    return result


def main(argv=None) -> dict:
    p = common.parser(__doc__)
    p.add_argument("--child", default=None, help=__import__("argparse").SUPPRESS)
    p.add_argument("--size", type=int, default=None)
    args = p.parse_args(argv)
    if args.child:
        return child(args.child)
    smoke = args.smoke
    repeat = args.repeat or (1 if smoke else 2)
    from index.mining.params import DEFAULT_THRESHOLDS

    threshold = DEFAULT_THRESHOLDS["sentence"]
    n = args.size or (3_000 if smoke else 100_000)
    n_real = 400 if smoke else 25_000
    real, _ = common.real_vectors("sentences", n_real + (30 if smoke else 200), smoke)
    real = real[:n_real]
    extra = common.perturbed(real, n - n_real, seed=5) if n > n_real else np.empty((0, real.shape[1]), np.float32)
    vectors = np.concatenate([real, extra])[:n]
    work = common.work_dir("mining-smoke" if smoke else "mining")
    path = work / f"vectors-{n}.npy"
    np.save(path, vectors)
    runs = {"ours": [], "baseline": []}
    for _ in range(repeat):
        for method in ("ours", "baseline"):
            res = common.run_child("bench.bench_mining", {"method": method, "vectors": str(path), "threshold": threshold,
                                                         "out": str(work / f"pairs-{method}.npy"),
                                                         "baseline_kwargs": {"top_k": 10} if smoke else {}})
            runs[method].append(res)
            print(method, res, flush=True)
    ours_pairs, base_pairs = (np.load(work / f"pairs-{m}.npy") for m in ("ours", "baseline"))
    ours_keys = set((ours_pairs[0] * n + ours_pairs[1]).tolist())
    base_keys = set((base_pairs[0] * n + base_pairs[1]).tolist())
    share = len(ours_keys & base_keys) / len(base_keys) if base_keys else 1.0
    t = {m: Stats([r["seconds"] for r in runs[m]]) for m in runs}
    peak = {m: max(r["peak_mb"] for r in runs[m]) for m in runs}
    speedup = t["baseline"].median / t["ours"].median
    truncated = runs["baseline"][-1]["returned"] >= 500_000 and (runs["baseline"][-1]["lowest_returned"] or 0) >= threshold
    from index.mining import pairs as pairs_mod

    figures = {"n": n, "n_real": n_real, "threshold": threshold, "runs": runs, "share_found": share,
               "ours_pairs": len(ours_keys), "baseline_pairs": len(base_keys), "only_ours": len(ours_keys - base_keys),
               "speedup": speedup, "peak_mb": peak, "exact_limit": pairs_mod.EXACT_LIMIT, "ivf_nprobe": pairs_mod.SELF_JOIN_NPROBE,
               "baseline_truncated": truncated}
    rows = [[m, t[m].sec(), f"{peak[m]:.0f} MiB (process with the vectors loaded: {runs[m][-1]['base_mb']:.0f} MiB)",
             f"{runs[m][-1]['pairs']:,}"] for m in ("ours", "baseline")]
    body = f"""
{n:,} sentence vectors: {n_real:,} real embeddings ({'hashing encoder' if smoke else 'MiniLM'}) + {n - n_real:,} perturbed copies;
threshold {threshold} (the sentence level's default). Each method in a fresh process, alternating, {repeat}× each; peak is
the process's VmHWM (reset after loading the vectors, so it shows the method's own working set on top of them).
Ours: `similar_pairs` ({'exact flat' if n <= pairs_mod.EXACT_LIMIT else f'IVF, nprobe {pairs_mod.SELF_JOIN_NPROBE}'}; exact up to
{pairs_mod.EXACT_LIMIT:,} texts). Baseline: `paraphrase_mining_embeddings` with its defaults.

{table(['method', 'time (median)', 'peak resident', 'pairs ≥ threshold'], rows)}

- Speed-up {speedup:.1f}× — target ≥ {TARGET_SPEEDUP:.0f}×: {verdict(speedup >= TARGET_SPEEDUP)}.
- Share of the baseline's {len(base_keys):,} pairs ≥ {threshold} that ours finds: {share:.4f} — target ≥ {TARGET_SHARE}:
  {verdict(share >= TARGET_SHARE)}. Ours also finds {len(ours_keys - base_keys):,} pairs ≥ {threshold} that the baseline's
  top-{100} per sentence leaves out{' (and its 500,000-pair cap cut some)' if truncated else ''}.
- Peak memory of ours {peak['ours']:.0f} MiB — target under {TARGET_PEAK_MB} MiB: {verdict(peak['ours'] < TARGET_PEAK_MB)}.
"""
    common.write_results("mining", "5. Recurring-formulation mining at 100k sentences", body, figures, smoke)
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
