"""Supervision benchmark: precision, recall and false-positive rate of each rule and of the
combined score on a generated corpus with planted rings, and the time to score it.

    .venv/bin/python scripts/bench_supervision.py --out bench/supervision.json

Figures (tender level: a tender is positive when the generator planted a ring model or
an insider anomaly in it; a rule "flags" a tender when it has at least one hit on it):
  supervision_precision / _recall / _fpr   the combined score (severity alert or high)
  supervision_score_10k_s                  seconds to run every rule and score 10,000
                                           tenders (signals and compiled OCDS releases
                                           in memory); only written for --tenders 10000
  rules.<rule>                             flagged, tp, fp, precision, recall, fpr
  models.<model>                           recall of the combined score per planted model
  cardinal                                 Cardinal's flags (our implementation, held to
                                           Cardinal's fixtures) and what ocdscardinal
                                           itself ran on the same OCDS data
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ledger_service.supervision.corpus import MODELS, CorpusParams, generate
from ledger_service.supervision.corpus_ocds import compiled_release
from ledger_service.supervision.rules import run_rules
from ledger_service.supervision.scoring import DEFAULT_WEIGHTS, Weights, score

#: the OCDS fields each Cardinal flag reads, as ocdscardinal's coverage names paths
CARDINAL_FIELDS = {
    "R003": ["/tender/tenderPeriod/startDate", "/tender/tenderPeriod/endDate"],
    "R018": ["/tender/numberOfTenderers", "/tender/procurementMethod"],
    "R028": ["/bids/details[]/value/amount", "/bids/details[]/tenderers[]/id"],
    "R035": ["/awards[]/status", "/awards[]/suppliers[]/id", "/bids/details[]/status"],
    "R036": ["/awards[]/status", "/bids/details[]/status", "/bids/details[]/value/amount"],
    "R038": ["/bids/details[]/status", "/buyer/id", "/tender/procuringEntity/id"],
    "R058": ["/awards[]/suppliers[]/id", "/bids/details[]/value/amount", "/bids/details[]/status"],
}


def _rates(flagged: set[str], positives: set[str], total: int) -> dict[str, Any]:
    tp = len(flagged & positives)
    fp = len(flagged) - tp
    return {
        "flagged": len(flagged), "tp": tp, "fp": fp,
        "precision": round(tp / len(flagged), 4) if flagged else None,
        "recall": round(tp / len(positives), 4) if positives else None,
        "fpr": round(fp / (total - len(positives)), 5) if total > len(positives) else None,
    }  # fmt: skip


def _ocdscardinal(releases: list[dict[str, Any]]) -> dict[str, Any]:
    """Run what the PyPI ocdscardinal wheel offers on the same OCDS data."""
    try:
        from importlib.metadata import version

        import ocdscardinal
    except ImportError as error:
        return {"ran": False, "why": f"ocdscardinal not installed: {error}"}
    exposed = sorted(n for n in dir(ocdscardinal) if not n.startswith("_"))
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for r in releases:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    t0 = time.perf_counter()
    coverage = ocdscardinal.coverage(f.name)
    seconds = time.perf_counter() - t0
    Path(f.name).unlink()
    lines = coverage.get("", len(releases))
    return {
        "version": version("ocdscardinal"), "python_api": exposed, "coverage_s": round(seconds, 3),
        "indicators_ran": "indicators" in exposed,
        "why_not_indicators": None if "indicators" in exposed else (
            "the PyPI wheel exposes only coverage(); `ocdscardinal indicators` is the Rust "
            "command-line tool (cargo install ocdscardinal, or a GitHub release binary), and "
            "neither crates.io nor GitHub downloads are reachable from this machine"),
        "fields_per_release": {flag: {p: round(coverage.get(p, 0) / max(lines, 1), 4) for p in paths}
                           for flag, paths in CARDINAL_FIELDS.items()},
    }  # fmt: skip


def measure(tenders: int = 10_000, seed: int = 14) -> dict[str, Any]:
    """Every figure of this benchmark for a corpus of ``tenders`` (see the module docstring)."""
    scale = tenders / 3000
    params = CorpusParams(
        seed=seed, tenders=tenders, firms=max(30, round(900 * scale)),
        regions=max(1, round(30 * scale)), buyers=max(3, round(90 * scale)), rings=max(1, round(40 * scale)),
    )  # fmt: skip
    t0 = time.perf_counter()
    corpus = generate(params)
    generate_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    releases = [compiled_release(t, corpus.starts[t.tender]) for t in corpus.tenders]
    ocds_s = time.perf_counter() - t0
    print(f"generated {len(corpus.tenders)} tenders in {generate_s:.1f} s, OCDS in {ocds_s:.1f} s",
          file=sys.stderr)  # fmt: skip

    weights = Weights()
    t0 = time.perf_counter()
    hits = run_rules(corpus.tenders, releases)
    alerts = {code: a for code, h in hits.items() if (a := score(code, h, weights)) is not None}
    score_s = time.perf_counter() - t0

    positives, total = set(corpus.labels), len(corpus.tenders)
    by_rule: dict[str, set[str]] = {rule: set() for rule in DEFAULT_WEIGHTS}
    for code, hs in hits.items():
        for h in hs:
            by_rule[h.rule].add(code)
    alerted = {code for code, a in alerts.items() if a.is_alert}
    combined = _rates(alerted, positives, total)
    models = {m: {"tenders": n, "recall": round(len({c for c, ls in corpus.labels.items() if m in ls} & alerted) / n, 4)}
              for m in (*MODELS, "insider") if (n := sum(1 for ls in corpus.labels.values() if m in ls))}  # fmt: skip
    honest_alerts = Counter(r for c in alerted - positives for r in alerts[c].points)
    out: dict[str, Any] = {
        "supervision_precision": combined["precision"],
        "supervision_recall": combined["recall"],
        "supervision_fpr": combined["fpr"],
        "combined": combined,
        "rules": {rule: _rates(codes, positives, total) for rule, codes in sorted(by_rule.items())},
        "models": models,
        "false_alerts_by_rule": dict(honest_alerts.most_common()),
        "cardinal": {
            "ours_on_our_ocds": {f: _rates(by_rule[f], positives, total) for f in CARDINAL_FIELDS},
            "ocdscardinal": _ocdscardinal(releases),
        },  # fmt: skip
        "score_s": round(score_s, 3),
        "generate_s": round(generate_s, 3),
        "ocds_export_s": round(ocds_s, 3),
        "corpus": {
            **params.to_json(),
            "positives": len(positives),
            "honest": total - len(positives),
        },
        "weights": weights.to_json(),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
    }
    if tenders == 10_000:
        out["supervision_score_10k_s"] = round(score_s, 3)
    return out


def run(results: dict[str, Any], detail: Path, tenders: int = 10_000) -> None:
    """For ``make bench``: the headline figures into ``results``, the rest into ``detail``."""
    out = measure(tenders)
    detail.parent.mkdir(parents=True, exist_ok=True)
    detail.write_text(json.dumps(out, indent=2, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")
    for key in ("supervision_precision", "supervision_recall", "supervision_fpr",
                "supervision_score_10k_s"):  # fmt: skip
        if key in out:  # the 10k timing only at 10,000 tenders
            results[key] = out[key]
    cardinal = out["cardinal"]["ocdscardinal"]
    results["ocdscardinal_ran"] = bool(cardinal.get("indicators_ran"))
    if "coverage_s" in cardinal:
        results["ocdscardinal_coverage_10k_s"] = cardinal["coverage_s"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--tenders", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    out = measure(args.tenders, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(out, indent=2, ensure_ascii=False, sort_keys=True) + "\n", "utf-8"
    )
    print(json.dumps({k: out[k] for k in ("supervision_precision", "supervision_recall", "supervision_fpr",
                                          "score_s")}), file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
