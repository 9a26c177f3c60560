"""Results files, the printed tables and the README's markdown, all from the same dicts.

Each section has a formatter that turns its results into :class:`Table` values;
:func:`text_report` lays them out for a terminal and :func:`markdown` for the
README, so both always show the same figures.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.targets import evaluate

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- files ----------------------------------------------------------------------
def _finite(obj: Any) -> Any:
    """``obj`` with non-finite floats as None (JSON has no infinity)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def save_results(doc: dict[str, Any], name: str, folder: Path = RESULTS_DIR) -> Path:
    """Write ``doc`` as ``folder/name.json`` (through a temporary file, then a rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(_finite(doc), indent=1) + "\n")
    os.replace(tmp, path)
    return path


def merged_sections(folder: Path = RESULTS_DIR) -> tuple[dict[str, Any], dict[str, str]]:
    """The newest result of every section over all results files, and which file it came from.

    Smoke runs (``--quick`` or the digits) never count.
    """
    sections, source, _ = _merge(folder)
    return sections, source


def _merge(folder: Path) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """:func:`merged_sections`, plus the machine each section was measured on, in words."""
    docs = []
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text())
        if not doc.get("quick") and doc.get("dataset", "mnist") == "mnist":
            docs.append((doc.get("created", ""), path.name, doc))
    sections: dict[str, Any] = {}
    source: dict[str, str] = {}
    machine: dict[str, str] = {}
    for _, name, doc in sorted(docs, key=lambda d: d[0]):
        m = doc.get("sections", {}).get("environment", {}).get("machine", {})
        where = (
            f"{m.get('cpu', 'an unknown CPU')}, {m.get('cores', '?')} cores, {m.get('system', '')}"
        )
        for key, value in doc.get("sections", {}).items():
            if "skipped" in value or "error" in value:
                continue
            sections[key] = value
            source[key] = f"{name} ({doc.get('created', '?')})"
            machine[key] = where
    return sections, source, machine


# -- numbers ------------------------------------------------------------------------
def rate(x: float) -> str:
    return f"{x / 1000:,.0f}k/s" if x >= 10_000 else f"{x:,.0f}/s"


def secs(x: float | None) -> str:
    if x is None:
        return "-"
    if x < 0.01:
        return f"{x * 1000:.2f} ms"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def net(n_in: int, hidden: int | list[int], n_out: int = 10) -> str:
    widths = hidden if isinstance(hidden, list) else [hidden]
    return "-".join(str(w) for w in (n_in, *widths, n_out))


def ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


# -- one formatter per section -------------------------------------------------------
def environment_tables(env: dict[str, Any]) -> list[Table]:
    m, v = env["machine"], env["versions"]
    t = Table("Machine", ["", ""])
    t.rows.append(["CPU", f"{m['cpu']} ({m['cores']} cores, {m['affinity']} usable)"])
    t.rows.append(["System", m["system"]])
    for pool in env["blas"]:
        t.rows.append(
            [
                f"{pool['user_api']} ({pool['internal_api']})",
                f"{pool['version']}, {pool['num_threads']} threads, {pool['architecture']}, "
                f"{Path(pool['filepath']).name if pool.get('filepath') else ''}",
            ]
        )
    t.rows.append(["Versions", ", ".join(f"{k} {val}" for k, val in v.items() if val)])
    blas_env = ", ".join(f"{k}={val}" for k, val in env["env"].items()) or "none set"
    t.rows.append(["BLAS/OpenMP variables", blas_env])
    t.rows.append(["Load average at start (1 min)", f"{m['load_avg_1m']:.2f}"])
    return [t]


SPEED_ORDER = ("trainer", "engine", "numpy", "pytorch", "matmul floor", "gather floor")


def speed_tables(sp: dict[str, Any]) -> list[Table]:
    rows = sp["rows"]
    present = [n for n in SPEED_ORDER if any(n in r["seconds"] for r in rows)]
    t1 = Table(
        f"Training speed: one epoch of {sp['n_train']:,} samples, plain SGD "
        f"(median of {sp['reps']} interleaved rounds)",
        ["network, batch", *present],
    )
    for r in rows:
        cells = []
        for n in present:
            s = r["seconds"].get(n)
            cells.append("-" if s is None else f"{secs(s)} ({rate(r['samples_per_s'][n])})")
        t1.rows.append([f"{net(sp['n_features'], r['hidden'])}, b{r['batch']}", *cells])
    t1.notes += sp.get("notes", [])
    keys = [k for k in rows[0]["ratios"]] if rows else []
    t2 = Table(
        "Epoch time ratios (lower is faster for the left-hand side)", ["network, batch", *keys]
    )
    for r in rows:
        t2.rows.append(
            [
                f"{net(sp['n_features'], r['hidden'])}, b{r['batch']}",
                *(ratio(r["ratios"].get(k)) for k in keys),
            ]
        )
    t2.notes.append(
        "trainer: our Trainer as the app runs it (control checks, every event, validation "
        "pass and snapshot); engine: its hot loop alone (BatchSampler + train_step); numpy: a "
        "minimal float32 loop (bench/loops.py); matmul floor: the five matrix products "
        "alone; gather floor: shuffle and batch gather alone."
    )
    return [t1, t2]


def inference_tables(inf: dict[str, Any]) -> list[Table]:
    rows = inf["rows"]
    t = Table(
        "Inference and per-epoch extras (median of interleaved rounds)",
        [
            "network",
            f"predict {rows[0]['n_test']:,} test images",
            f"validation pass ({rows[0]['n_val']:,})",
            "snapshot for the views",
        ],
    )
    for r in rows:
        s = r["seconds"]
        t.rows.append(
            [
                net(r["n_features"], r["hidden"]),
                f"{secs(s['predict_test'])} ({rate(r['predict_samples_per_s'])})",
                secs(s["validation_pass"]),
                secs(s["snapshot"]),
            ]
        )
    t.notes.append(
        "the validation pass and the snapshot run after every epoch, inside the "
        "Trainer's epoch time"
    )
    aug = inf.get("augment")
    if aug:
        t.notes.append(
            f"augmenting one epoch ({aug['n']:,} images, batch {aug['batch']}): "
            + ", ".join(f"{k} {secs(v)}" for k, v in aug["seconds"].items())
        )
    return [t]


TRACE_COLUMNS = ("trace", "own gradients", "apply", "learn + validation", "trace while training")


def trace_tables(tr: dict[str, Any]) -> list[Table]:
    rows = tr["rows"]
    t = Table(
        f"Backprop, one example at a time ({tr['dtype']}, median of interleaved rounds)",
        [
            "network",
            "trace one example",
            "model's own gradients, batch of one",
            "apply (copy + one SGD step)",
            f"learn + score {tr['n_val']:,} validation images",
            "trace while the same network trains (b128)",
        ],
    )
    for r in rows:
        t.rows.append(
            ["-".join(map(str, r["sizes"])), *(secs(r["seconds"][k]) for k in TRACE_COLUMNS)]
        )
    t.notes.append(
        "trace: core.trace, forward and backward with read-only copies of every quantity and "
        "of the parameters; own gradients: MLP.loss_and_grads on the same image; learn: "
        "Trace.learn, the step, a second trace and both models scored on the validation set; "
        "while training: another thread runs training steps of the same network meanwhile, "
        "as in the window (rounds: "
        + ", ".join(f"{k} {n}" for k, n in rows[0]["rounds"].items())
        + ")"
    )
    return [t]


def gui_tables(g: dict[str, Any]) -> list[Table]:
    t = Table(
        "GUI overhead: training in the window (Qt offscreen, all views live)",
        ["network", "headless", "in the window", "ratio", "worst GUI-thread stall"],
    )
    for r in g["rows"]:
        stall = r.get("worst_stall_ms")
        arch = r.get("architecture") or [784, r["hidden"], 10]
        t.rows.append(
            [
                f"{'-'.join(map(str, arch))}, b{r['batch']}",
                rate(r["headless_samples_per_s"]),
                rate(r["window_samples_per_s"]),
                ratio(r["ratio"]),
                "-" if stall is None else f"{stall:.0f} ms",
            ]
        )
    t.notes.append(g["method"])
    diag = g.get("diagnosis")
    if diag:
        slow = "; ".join(f"{e['what']} {e['worst_ms']:.0f} ms" for e in diag["slowest_events"][:4])
        slots = "; ".join(f"{e['what']} {e['worst_ms']:.0f} ms" for e in diag["slowest_slots"][:4])
        t.notes.append(f"slowest GUI-thread events (timed round, hidden {diag['hidden']}): {slow}")
        t.notes.append(f"slowest view slots: {slots}")
    return [t]


def inside_tables(g: dict[str, Any]) -> list[Table]:
    t = Table(
        "The Inside tab following a run (Qt offscreen, the tab shown, all views live)",
        [
            "network",
            "window / headless (without the tab)",
            "worst GUI-thread stall (without the tab)",
            "trace + pictures (worker)",
            "draw a new trace (GUI)",
            "slowest step to show (GUI)",
        ],
    )

    def ms(x: float | None) -> str:
        return "-" if x is None else f"{x:.1f} ms"

    for r in g["rows"]:
        i = r.get("inside") or {}
        without = r.get("without_tab") or {}
        arch = r.get("architecture") or [784, r["hidden"], 10]
        t.rows.append(
            [
                f"{'-'.join(map(str, arch))}, b{r['batch']}",
                f"{ratio(r['ratio'])} ({ratio(without.get('ratio'))})",
                f"{ms(r.get('worst_stall_ms'))} ({ms(without.get('worst_stall_ms'))})",
                f"{ms(i.get('trace_ms_median'))} (worst {ms(i.get('trace_ms_max'))}, "
                f"{i.get('traces', 0)} traces)",
                f"{ms(i.get('draw_ms_median'))} (worst {ms(i.get('draw_ms_max'))})",
                f"{ms(i.get('worst_step_ms'))}: {i.get('worst_step', '')}",
            ]
        )
    t.notes.append(g["method"])
    diag = g.get("diagnosis")
    if diag:
        slow = "; ".join(f"{e['what']} {e['worst_ms']:.0f} ms" for e in diag["slowest_events"][:4])
        t.notes.append(f"slowest GUI-thread events (timed round, hidden {diag['hidden']}): {slow}")
    return [t]


def startup_tables(st: dict[str, Any]) -> list[Table]:
    t = Table("Start-up", ["", ""])
    t.rows.append(["python main.py to window painted", secs(st["window_painted_s"])])
    t.rows.append(["... to window shown", secs(st["window_shown_s"])])
    t.rows.append(["bare interpreter (python -c pass)", secs(st["bare_python_s"])])
    imp = st["imports"]
    t.rows.append(
        [
            "import gui.app, gui.main_window (-X importtime)",
            f"{imp['total_ms']:.0f} ms, {imp['modules']} modules",
        ]
    )
    t.rows.append(
        [
            "by package (self time)",
            ", ".join(f"{name} {ms:.0f} ms" for name, ms in imp["by_package_ms"][:6]),
        ]
    )
    t.rows.append(
        [
            "slowest modules",
            ", ".join(f"{name} {ms:.0f} ms" for name, ms in imp["top_modules_self_ms"][:5]),
        ]
    )
    t.rows.append(
        ["heavy packages on the start-up path", ", ".join(imp["heavy_imported"]) or "none"]
    )
    t.notes.append(st["method"])
    return [t]


def memory_tables(mem: dict[str, Any]) -> list[Table]:
    t = Table("Memory: peak resident set of a fresh process (VmHWM)", ["", "MiB"])
    t.rows.append(["python -c 'import numpy'", f"{mem['python_numpy_mb']:.0f}"])
    t.rows.append([f"load_dataset({mem['dataset']!r}) only", f"{mem['load_dataset_mb']:.0f}"])
    t.rows.append([mem["command"], f"{mem['headless_run_mb']:.0f}"])
    t.rows.append(["the dataset's arrays themselves", f"{mem['dataset_arrays_mb']:.0f}"])
    return [t]


def sweep_tables(sw: dict[str, Any]) -> list[Table]:
    t = Table(
        f"Sweep throughput: {sw['trials']} one-epoch {sw['dataset']} trials "
        f"({sw['architecture']}), one BLAS thread per trial",
        ["workers", "wall", "trials/min", "steady trials/min", "first result"],
    )
    for jobs in (1, 2):
        w = sw[f"workers_{jobs}"]
        t.rows.append(
            [
                str(jobs),
                secs(w["seconds"]),
                f"{w['trials_per_min']:.1f}",
                f"{w['steady_trials_per_min']:.1f}" if "steady_trials_per_min" in w else "-",
                secs(w["first_result_s"]),
            ]
        )
    note = f"speed-up with 2 workers: {sw['speedup']:.2f}x end to end"
    if "steady_speedup" in sw:
        note += f", {sw['steady_speedup']:.2f}x steady"
    if "machine_speedup_2_processes" in sw:
        note += (
            f"; two single-threaded processes doing pure compute got "
            f"{sw['machine_speedup_2_processes']:.2f}x on this machine at the time"
        )
    t.notes.append(note + f"; identical results: {sw['same_results']}")
    return [t]


def accuracy_tables(acc: dict[str, Any]) -> list[Table]:
    t = Table(
        "Time to accuracy (MNIST test set, 10,000 images)",
        ["preset", "network", "epochs", "training time", "result"],
    )
    for name in ("fast", "best"):
        r = acc[name]
        cfg = r["config"]
        arch = net(784, list(cfg["hidden"]))
        if name == "fast":
            result = (
                f"97% after {secs(r['reached_s'])}"
                if r["reached_s"] is not None
                else f"97% not reached (best {r['best_test_acc']:.2%})"
            )
        else:
            result = (
                f"best {r['best_test_acc']:.2%} (epoch {r['best_epoch']}), "
                f"final {r['final_test_acc']:.2%}"
            )
        t.rows.append(
            [
                name,
                f"{arch}, {cfg['optimizer']}, augment {cfg['augment']}",
                f"{r['epochs_trained']} of {r['epochs_planned']}",
                secs(r["train_s"]),
                result,
            ]
        )
    t.notes.append(
        f"training budget {acc['budget_s']:.0f} s; test scoring after each epoch is not counted"
    )
    return [t]


def imagefolder_tables(f: dict[str, Any]) -> list[Table]:
    reps = len(f["rows"][0]["times"]["first"]) if f["rows"] else 0
    t = Table(
        f"Image folders: load_dataset(folder) of {f['n']:,} files (median of {reps} rounds)",
        ["folder", "files", "becomes", "first load", "from the cache"],
    )
    for r in f["rows"]:
        t.rows.append(
            [
                r["what"],
                f"{r['files_mb']:.1f} MB",
                "x".join(map(str, r["image_shape"])),
                secs(r["first_s"]),
                secs(r["cached_s"]),
            ]
        )
    t.notes.append(
        "first load: list, decode with Pillow, write the cache, split and scale; from the "
        "cache: list, check sizes and times, read one .npz, split and scale. The files are "
        "in the system's file cache both times."
    )
    return [t]


def robustness_tables(r: dict[str, Any]) -> list[Table]:
    arch = "-".join(map(str, r["architecture"]))
    t = Table(
        f"Test-set evaluation at {arch} on {r['n_test']:,} test images "
        f"(median of {len(r['times'])} rounds)",
        ["what", "time"],
    )
    whole = f"evaluate_test_set: plain pass, five curves ({r['strengths']} strengths)"
    t.rows.append([whole, secs(r["seconds"])])
    for kind, seconds in r["per_kind_s"].items():
        t.rows.append([f"  {kind} alone (with the plain pass)", secs(seconds)])
    a = r["attack"]
    t.rows.append(
        [
            f"make_it_read_as, one digit (median of {a['n']}, worst)",
            f"{secs(a['median_s'])} ({secs(a['max_s'])})",
        ]
    )
    t.notes.append(
        f"model trained one epoch (test accuracy {r['test_accuracy']:.2%}); "
        f"{a['succeeded']} of {a['n']} digits read as the next digit, median bound "
        f"{a['median_epsilon']:.3f} per pixel"
    )
    return [t]


def _mb(n: float) -> str:
    return f"{n / 2**20:.2f} MB" if n < 10 * 2**20 else f"{n / 2**20:.0f} MB"


def timeline_tables(tl: dict[str, Any]) -> list[Table]:
    o = tl["overhead"]
    t1 = Table(
        f"Timeline recording overhead: {o['architecture']}, batch {o['batch']}, "
        f"{o['epochs']}-epoch {tl['dataset']} runs (medians of {o['rounds']} paired rounds)",
        ["", "without a timeline", "with", "ratio"],
    )
    for label, key, ratio_key in (
        (
            f"first epoch ({o['first_epoch_states']} states)"
            if "first_epoch_states" in o
            else "first epoch",
            "first_epoch_s",
            "first_epoch_ratio",
        ),
        ("later epochs (1 state each)", "later_epoch_s", "later_epoch_ratio"),
        ("whole run, last flush included", "run_wall_s", "run_ratio"),
    ):
        t1.rows.append([label, secs(o[key]["without"]), secs(o[key]["with"]), ratio(o[ratio_key])])
    rounds = ", ".join(f"{r:.3f}" for r in o["first_epoch_ratio_per_round"])
    t1.notes.append(
        "ratio: median over rounds of with / without in the same round; first-epoch "
        f"ratio round by round: {rounds}"
    )
    t1.notes.append(
        "the training thread's own share (copying the arrays, queueing them): "
        f"{secs(o['handed_first_epoch_s'])} in the first epoch, "
        f"{secs(o['handed_later_epoch_s'])} per later epoch; the writing is in a thread of "
        "its own"
    )
    t2 = Table(
        "Timeline disk use (SGD; momentum doubles a state, Adam triples it)",
        ["network", "parameters", "first epoch", "each later epoch", "journal"],
    )
    for d in tl["disk"]:
        t2.rows.append(
            [
                d["architecture"],
                f"{d['parameters']:,}",
                f"{_mb(d['first_epoch_bytes'])} ({d['first_epoch_states']} states)",
                _mb(d["epoch_state_bytes"]),
                f"{d['journal_bytes'] / 1024:.1f} kB for 2 epochs",
            ]
        )
    ls = tl["landscape"]
    t3 = Table("Loss landscape (core.training.landscape.landscape)", ["", ""])
    t3.rows.append(
        [
            f"{ls['architecture']}: {ls['resolution']}x{ls['resolution']} grid, "
            f"{ls['line_points']}-point line, {ls['states']}-state path, "
            f"{ls['subset']:,} validation images",
            f"{secs(ls['seconds'])} (grid alone {secs(ls['grid_seconds'])})",
        ]
    )
    return [t1, t2, t3]


def scrub_tables(sc: dict[str, Any]) -> list[Table]:
    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:.0f} ms" if v >= 10 else f"{v:.1f} ms"

    t = Table(
        f"Scrubbing while training: {sc['dataset']} 784-{sc['hidden']}-10, "
        f"{sc['epochs']}-epoch runs in the window, {sc['rounds']} rounds of each kind",
        ["", "untouched", "slider dragged over every moment"],
    )
    stall, p99 = sc["worst_stall_ms"], sc["gap_p99_ms"]
    sps = sc["samples_per_s"]
    t.rows.append(["worst GUI-thread stall", ms(stall["plain"]), ms(stall["scrubbed"])])
    t.rows.append(["99th percentile of the timer's gaps", ms(p99["plain"]), ms(p99["scrubbed"])])
    t.rows.append(
        ["training samples/s (median epoch)", rate(sps["plain"] or 0), rate(sps["scrubbed"] or 0)]
    )
    t.notes.append(
        f"a move every {sc['move_every_ms']} ms ({sc['moves']} in all): its own cost in the GUI "
        f"thread {ms(sc['move_ms_median'])} median, {ms(sc['move_ms_worst'])} worst; a moment "
        f"the drag rests on shows {ms(sc['latency_ms_median'])} later the first time (median "
        f"of {sc['latencies']}, worst {ms(sc['latency_ms_worst'])}; loaded in a worker "
        f"thread), {ms(sc.get('latency_again_ms_median'))} when shown again (kept)"
    )
    return [t]


FORMATTERS: dict[str, Callable[[dict[str, Any]], list[Table]]] = {
    "environment": environment_tables,
    "speed": speed_tables,
    "inference": inference_tables,
    "trace": trace_tables,
    "gui": gui_tables,
    "inside": inside_tables,
    "startup": startup_tables,
    "memory": memory_tables,
    "sweep": sweep_tables,
    "imagefolder": imagefolder_tables,
    "robustness": robustness_tables,
    "timeline": timeline_tables,
    "scrub": scrub_tables,
    "accuracy": accuracy_tables,
}


def target_table(sections: dict[str, Any]) -> Table:
    t = Table("Targets", ["target", "measured", "limit", "holds"])
    for row in evaluate(sections):
        value, unit = row["value"], row["unit"]
        if math.isinf(value):
            shown = "not reached"
        elif unit == "x":
            shown = f"{value:.2f}x"
        elif unit == "":
            shown = f"{value:.2%}"
        else:
            shown = f"{value:.2f} {unit}" if unit == "s" or value < 10 else f"{value:.0f} {unit}"
        limit = f"{row['limit']:.2%}" if unit == "" else f"{row['limit']:g}{unit}"
        t.rows.append([row["what"], shown, f"{row['op']} {limit}", "yes" if row["holds"] else "NO"])
    return t


def tables(sections: dict[str, Any]) -> list[Table]:
    out: list[Table] = []
    for name, fmt in FORMATTERS.items():
        res = sections.get(name)
        if res is None:
            continue
        if "skipped" in res:
            out.append(Table(f"{name}: skipped", [], notes=[res["skipped"]]))
        elif "error" in res:
            out.append(Table(f"{name}: failed", [], notes=[res["error"]]))
        else:
            out.extend(fmt(res))
    targets = target_table(sections)
    if targets.rows:
        out.append(targets)
    return out


# -- layouts ------------------------------------------------------------------------
def render_text(t: Table) -> str:
    lines = [t.title, "-" * len(t.title)]
    if t.header:
        grid = [t.header, *t.rows]
        widths = [max(len(r[i]) for r in grid) for i in range(len(t.header))]
        for r in grid:
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    lines += [f"  note: {n}" for n in t.notes]
    return "\n".join(lines)


def text_report(doc: dict[str, Any]) -> str:
    parts = [render_text(t) for t in tables(doc["sections"])]
    parts.append(f"Total: {doc['seconds']:.0f} s")
    return "\n\n".join(parts)


def render_markdown(t: Table) -> str:
    lines = [f"**{t.title}**", ""]
    if t.header:
        header = [h or " " for h in t.header]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" for _ in header) + "|")
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in t.rows]
    if t.notes:
        lines.append("")
        lines += [f"_{n}_" for n in t.notes]
    return "\n".join(lines)


def markdown(folder: Path = RESULTS_DIR) -> str:
    """The README's performance section from the newest stored result of every section."""
    sections, source, machine = _merge(folder)
    if not sections:
        return "No benchmark results yet: run `make bench`."
    files_on: dict[str, set[str]] = {}
    for key, where in machine.items():
        files_on.setdefault(where, set()).add(source[key].split(" (")[0])
    if len(files_on) == 1:
        where = f"Measured on {next(iter(files_on))}, shared with other work while it ran."
    else:
        where = (
            "Measured on more than one machine, each shared with other work while it ran: "
            + "; ".join(f"{', '.join(sorted(f))} on {m}" for m, f in files_on.items())
            + ". The machine table describes the newest run; compare figures within one file."
        )
    intro = (
        f"{where} Every time is the "
        "median of interleaved repetitions and every ratio compares runs made side by side, "
        "so load from other programs mostly cancels; absolute figures move from run to run. "
        "Results: " + "; ".join(sorted(set(source.values()))) + "."
    )
    how = (
        "Reproduce with `make bench` (installs the CPU build of PyTorch from "
        "requirements-bench.txt, then runs `python -m bench`: under ten minutes, writes "
        "`bench/results/default.json`). The time-to-accuracy runs take about twelve minutes "
        "more: `python -m bench --only accuracy`. `python -m bench --list` names the sections; "
        "`python -m bench --markdown` prints this section from the stored results. Real MNIST "
        "is read from `BACKPROP_DATA` or `../shared/datasets`; without it the sections that "
        "need it say so and are skipped."
    )
    body = [render_markdown(t) for t in tables(sections)]
    return "\n\n".join(["## Performance", intro, how, *body])
