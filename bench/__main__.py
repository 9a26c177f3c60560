"""``python -m bench``: run the benchmark sections, print a table, write JSON.

python -m bench                     default sections (< 10 minutes), bench/results/default.json
python -m bench --only speed,memory just those
python -m bench --only accuracy     the long time-to-accuracy runs (about 12 minutes)
python -m bench --long              everything
python -m bench --markdown          the README table from the stored results
python -m bench --list              the sections and what they measure
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from bench.context import Context, Skip
from bench.registry import load_sections
from bench.report import RESULTS_DIR, markdown, save_results, text_report


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--only", help="comma-separated section names (see --list)")
    p.add_argument("--long", action="store_true", help="also run the long optional sections")
    p.add_argument("--reps", type=int, default=5, help="timed rounds per measurement (default 5)")
    p.add_argument("--quick", action="store_true", help="one shape, short runs: a smoke check")
    p.add_argument(
        "--dataset",
        default="mnist",
        choices=("mnist", "digits"),
        help="digits runs everything on the bundled 8x8 set (no files needed)",
    )
    p.add_argument("--name", help="results file name (default: from the sections run)")
    p.add_argument("--no-save", action="store_true", help="print only, write no JSON")
    p.add_argument(
        "--results",
        type=Path,
        default=RESULTS_DIR,
        help="folder of the JSON results (default bench/results)",
    )
    p.add_argument(
        "--markdown",
        action="store_true",
        help="print the README performance section from bench/results/*.json",
    )
    p.add_argument("--list", action="store_true", help="list the sections and exit")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sections = load_sections()
    if args.list:
        for s in sections.values():
            print(f"{s.name:14} {'default' if s.default else 'optional':8} {s.title}")
        return 0
    if args.markdown:
        print(markdown(args.results))
        return 0
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in sections]
        if unknown:
            print(
                f"unknown section(s): {', '.join(unknown)}; known: {', '.join(sections)}",
                file=sys.stderr,
            )
            return 2
    else:
        names = [n for n, s in sections.items() if s.default or args.long]
    if "environment" not in names:
        names.insert(0, "environment")
    ctx = Context(reps=max(1, args.reps), dataset_name=args.dataset, quick=args.quick)
    results: dict[str, dict] = {}
    for name in names:
        ctx.log(f"section {name}: {sections[name].title}")
        t0 = time.perf_counter()
        try:
            out = sections[name].run(ctx)
        except Skip as e:
            out = {"skipped": str(e)}
            ctx.log(f"section {name} skipped: {e}")
        except Exception as e:  # a broken section must not cost the others' results
            traceback.print_exc()
            out = {"error": f"{type(e).__name__}: {e}"}
        out["section_seconds"] = round(time.perf_counter() - t0, 2)
        results[name] = out
    run_name = args.name or default_name(names, sections, args)
    doc = {
        "name": run_name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "argv": sys.argv[1:] if argv is None else argv,
        "reps": ctx.reps,
        "quick": args.quick,
        "dataset": args.dataset,
        "seconds": round(time.perf_counter() - ctx.started, 1),
        "sections": results,
    }
    print(text_report(doc))
    if not args.no_save:
        path = save_results(doc, run_name, args.results)
        print(f"\nwrote {path}")
    return 0


def default_name(names: list[str], sections, args: argparse.Namespace) -> str:
    if args.quick or args.dataset != "mnist":
        return "smoke"
    if args.only:
        return "+".join(n for n in names if n != "environment")
    return "long" if args.long else "default"


if __name__ == "__main__":
    sys.exit(main())
