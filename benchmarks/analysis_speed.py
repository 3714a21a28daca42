"""Speed of the built-in engine: load time, a 10,000-character record, and the ratio to Sudachi alone.

Run: ``python benchmarks/analysis_speed.py [--runs N]``. Figures are medians over N runs after a warm-up.
Targets (issue 3): load ≤ 1 s; 10,000 characters ≤ 0.3 s; analysis / tokenisation < 3.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "dev" / "cases"
HELDOUT = ROOT / "tests" / "analysis" / "heldout" / "cases"
LOAD_SNIPPET = (
    "import time; t = time.perf_counter(); "
    "from sales_growth.analysis.engine import get_local_analyzer; get_local_analyzer(); "
    "print(time.perf_counter() - t)"
)


def record_of(chars: int) -> str:
    """A dialogue record of about ``chars`` characters, built from the labelled sets' .txt dialogues."""
    sources = sorted(DEV.glob("*.txt")) + sorted(HELDOUT.glob("*.txt"))
    parts: list[str] = []
    total = 0
    for path in sources * 10:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError:
            text = data.decode("cp932")
        parts.append(text)
        total += len(text)
        if total >= chars:
            break
    return "\n".join(parts)[:chars]


def load_seconds(runs: int) -> float:
    times = [
        float(subprocess.run([sys.executable, "-c", LOAD_SNIPPET], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--chars", type=int, default=10_000)
    args = parser.parse_args()

    from sales_growth.analysis.engine import get_local_analyzer
    from sales_growth.analysis.nlp import tokenize
    from sales_growth.analysis.reading import read_transcript

    text = record_of(args.chars)
    analyzer = get_local_analyzer()
    analyzer.analyze(text, session_date=date(2026, 11, 2))  # warm-up

    analysis, tokenising = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        analyzer.analyze(text, session_date=date(2026, 11, 2))
        analysis.append(time.perf_counter() - started)
        utterances = read_transcript(text).utterances
        started = time.perf_counter()
        for utterance in utterances:
            tokenize(utterance.text)
        tokenising.append(time.perf_counter() - started)
    median_analysis, median_tokens = statistics.median(analysis), statistics.median(tokenising)
    load = load_seconds(max(3, args.runs // 2))
    print(f"record: {len(text):,} characters, {args.runs} runs (median)")
    print(f"engine load (fresh process)   {load:8.3f} s   target ≤ 1 s")
    print(f"analysis                      {median_analysis:8.3f} s   target ≤ 0.3 s")
    print(f"Sudachi tokenisation alone    {median_tokens:8.3f} s")
    print(f"analysis / tokenisation       {median_analysis / median_tokens:8.2f}     target < 3")


if __name__ == "__main__":
    main()
