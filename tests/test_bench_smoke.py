"""The benchmark's pieces run and agree with each other (on the bundled digits, no timing)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from bench import speed
from bench.__main__ import main
from bench.loops import EngineLoop, MatmulFloor, ReferenceLoop
from bench.report import markdown, merged_sections
from bench.targets import evaluate


def accuracy(W1, b1, W2, b2, X, y) -> float:
    logits = np.maximum(X @ W1 + b1, 0) @ W2 + b2
    return float((logits.argmax(axis=1) == y).mean())


def test_the_reference_loop_learns_the_digits(digits):
    loop = ReferenceLoop(digits.X_train, digits.y_train, hidden=32, batch=32)
    before = accuracy(loop.W1, loop.b1, loop.W2, loop.b2, digits.X_val, digits.y_val)
    for _ in range(5):
        loop.epoch()
    after = accuracy(loop.W1, loop.b1, loop.W2, loop.b2, digits.X_val, digits.y_val)
    assert after > 0.85 > before
    assert loop.W1.dtype == np.float32 and np.isfinite(loop.last_loss)


def test_the_floor_and_the_engine_run_every_batch_size(digits):
    X, y = digits.X_train, digits.y_train
    for batch in (32, 500):  # 500 leaves a short last batch
        MatmulFloor(X, y, hidden=16, batch=batch).epoch()
        engine = EngineLoop(X, y, hidden=16, batch=batch)
        engine.epoch()
        assert all(np.isfinite(p).all() for p in engine.model.params)


def test_a_smoke_run_writes_results_that_the_report_reads(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(speed, "has_module", lambda name: name != "torch")
    code = main(
        [
            "--only",
            "speed",
            "--dataset",
            "digits",
            "--quick",
            "--reps",
            "1",
            "--results",
            str(tmp_path),
            "--name",
            "smoke",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    doc = json.loads((tmp_path / "smoke.json").read_text())
    (row,) = doc["sections"]["speed"]["rows"]
    assert set(row["seconds"]) == {"trainer", "engine", "numpy", "matmul floor", "gather floor"}
    assert row["ratios"]["trainer / numpy"] == pytest.approx(
        row["seconds"]["trainer"] / row["seconds"]["numpy"]
    )
    assert "Training speed" in printed and "Targets" in printed
    targets = {t["what"]: t for t in evaluate(doc["sections"])}
    assert any(w.startswith("Trainer epoch / minimal NumPy loop") for w in targets)
    # smoke runs never reach the README table
    assert merged_sections(tmp_path)[0] == {}
    assert "No benchmark results" in markdown(tmp_path)


def test_the_readme_table_takes_the_newest_result_of_each_section(tmp_path):
    def doc(created, sections):
        return {"created": created, "quick": False, "dataset": "mnist", "sections": sections}

    older = doc("2026-01-01T00:00:00Z", {"memory": {"headless_run_mb": 1.0}, "x": {"v": 1}})
    newer = doc(
        "2026-01-02T00:00:00Z", {"memory": {"headless_run_mb": 2.0}, "x": {"skipped": "no data"}}
    )
    (tmp_path / "a.json").write_text(json.dumps(newer))
    (tmp_path / "b.json").write_text(json.dumps(older))
    sections, source = merged_sections(tmp_path)
    assert sections["memory"]["headless_run_mb"] == 2.0
    assert sections["x"] == {"v": 1}  # a skipped section does not hide an earlier result
    assert source["memory"].startswith("a.json")


def test_the_trace_section_times_every_call_and_reaches_the_report(tmp_path, capsys):
    argv = ["--only", "trace", "--dataset", "digits", "--quick", "--reps", "1"]
    code = main([*argv, "--results", str(tmp_path), "--name", "smoke"])
    assert code == 0
    doc = json.loads((tmp_path / "smoke.json").read_text())
    (row,) = doc["sections"]["trace"]["rows"]
    assert row["sizes"] == [64, 128, 10]
    assert set(row["seconds"]) == {
        "trace",
        "own gradients",
        "apply",
        "learn + validation",
        "trace while training",
    }
    assert row["training_steps_meanwhile"] >= 1
    assert all(s > 0 for s in row["seconds"].values())
    assert "Backprop, one example at a time" in capsys.readouterr().out
    # the target is read at 784-1024-1024-10 only, which a quick run leaves out
    assert not any(t["what"].startswith("Trace one example") for t in evaluate(doc["sections"]))
    full = {"trace": {"rows": [{**row, "hidden": [1024, 1024]}]}}
    quiet, busy = [t for t in evaluate(full) if t["what"].startswith("Trace one example")]
    assert quiet["value"] == pytest.approx(1000 * row["seconds"]["trace"])
    assert busy["value"] == pytest.approx(1000 * row["seconds"]["trace while training"])
    for target in (quiet, busy):
        assert target["limit"] == 50.0 and target["holds"] == (target["value"] <= 50.0)


def test_the_readme_section_says_when_results_come_from_different_machines(tmp_path):
    def doc(created, cpu, sections):
        machine = {"cpu": cpu, "cores": 2, "affinity": 2, "system": "Linux", "load_avg_1m": 0.5}
        env = {"machine": machine, "versions": {}, "blas": [], "env": {}}
        return {
            "created": created,
            "quick": False,
            "dataset": "mnist",
            "sections": {"environment": env, **sections},
        }

    (tmp_path / "old.json").write_text(
        json.dumps(doc("2026-01-01T00:00:00Z", "CPU A", {"y": {"v": 1}}))
    )
    (tmp_path / "new.json").write_text(
        json.dumps(doc("2026-01-02T00:00:00Z", "CPU B", {"x": {"v": 2}}))
    )
    intro = markdown(tmp_path).split("\n\n")[1]
    assert intro.startswith("Measured on more than one machine")
    assert "new.json on CPU B, 2 cores, Linux" in intro and "old.json on CPU A" in intro
    (tmp_path / "new.json").unlink()
    assert markdown(tmp_path).split("\n\n")[1].startswith("Measured on CPU A, 2 cores, Linux,")


def test_the_image_folder_and_robustness_sections_run_and_report(tmp_path, monkeypatch, capsys):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the folders it writes go here
    monkeypatch.setenv("BACKPROP_CACHE", str(tmp_path / "cache"))
    argv = ["--only", "imagefolder,robustness", "--dataset", "digits", "--quick", "--reps", "1"]
    assert main([*argv, "--results", str(tmp_path), "--name", "smoke"]) == 0
    printed = capsys.readouterr().out
    sections = json.loads((tmp_path / "smoke.json").read_text())["sections"]
    rows = {r["kind"]: r for r in sections["imagefolder"]["rows"]}
    assert rows["digits"]["image_shape"] == [8, 8] and rows["photos"]["image_shape"] == [24, 32, 3]
    assert all(r["first_s"] > 0 and r["cached_s"] > 0 for r in rows.values())
    robustness = sections["robustness"]
    assert set(robustness["per_kind_s"]) == {"noise", "rotation", "shift", "thicken", "thin"}
    assert robustness["attack"]["n"] == 5
    assert "Image folders: load_dataset(folder)" in printed and "Test-set evaluation" in printed
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("bench-")] == []
    assert os.environ["BACKPROP_CACHE"] == str(tmp_path / "cache")


def test_the_inside_section_summarises_its_rounds_and_reaches_the_report():
    from bench.gui_probe import inside_summary
    from bench.report import inside_tables

    rounds = [
        {"trace_ms": [10.0, 30.0], "draw_ms": [2.0, 4.0], "step_draw_ms": {"Z1 = X W1 + b1": 9.0}},
        {"trace_ms": [20.0], "draw_ms": [3.0], "step_draw_ms": {"Z1 = X W1 + b1": 11.0}},
    ]
    summary = inside_summary(rounds)
    assert summary["traces"] == 3 and summary["trace_ms_median"] == 20.0
    assert summary["draw_ms_max"] == 4.0 and summary["worst_step_ms"] == 11.0
    row = {
        "hidden": 1024,
        "batch": 128,
        "ratio": 0.97,
        "worst_stall_ms": 31.0,
        "architecture": [784, 1024, 10],
        "inside": summary,
        "without_tab": {"worst_stall_ms": 27.0, "ratio": 0.99},
    }
    (table,) = inside_tables({"rows": [row], "method": "m", "diagnosis": None})
    assert table.rows[0][:3] == ["784-1024-10, b128", "0.97x (0.99x)", "31.0 ms (27.0 ms)"]
    targets = {t["what"]: t for t in evaluate({"inside": {"rows": [row]}})}
    stall = targets["GUI thread worst stall, Inside tab following the run (hidden 1024)"]
    assert stall["value"] == 31.0 and stall["holds"]
