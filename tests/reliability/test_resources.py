"""Memory and sizes are checked before anything is allocated, drawn or listed.

Each "refused before allocating" case runs in a child whose address space may grow by
only a little (``LIMIT_AS``): code that allocated first would hit MemoryError there
(or, in the old days, take the machine's memory); code that estimates first refuses
with a message giving the estimate and what is available. Nothing here allocates
gigabytes: the files are small, only their claims are large.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.errors import CheckpointError, ConfigError
from core.sweep import Axis, SweepSpec
from core.training import checkpoint
from core.training.config import Config
from tests.reliability.conftest import LIMIT_AS, error_lines, run_cli, run_python

MB = 1 << 20


def outcomes(proc) -> dict[str, str]:
    """The JSON a child printed: case -> "what happened" (ESCAPED ... for a bare exception)."""
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def refused_with_estimate(message: str) -> None:
    assert not message.startswith("ESCAPED"), message
    assert "needs about" in message and "is available" in message, message


# -- networks ------------------------------------------------------------------------
_NETWORKS = (
    """
import json
from core import NeuralNetwork
from core.errors import ConfigError
"""
    + LIMIT_AS
    + """
cases = {
    "8 x 8192 float64 adam": dict(hidden_sizes=[8192] * 8, dtype="float64", optimizer="adam"),
    "4 x 4096 float64 adam": dict(hidden_sizes=[4096] * 4, dtype="float64", optimizer="adam"),
}
out = {}
for name, settings in cases.items():
    try:
        NeuralNetwork(input_size=784, output_size=10, **settings)
        out[name] = "built"
    except ConfigError as e:
        out[name] = str(e)
    except BaseException as e:
        out[name] = f"ESCAPED {type(e).__name__}: {e}"
print(json.dumps(out))
"""
)


def test_a_network_too_large_for_memory_is_refused_before_it_is_built(tmp_path):
    results = outcomes(run_python(_NETWORKS, str(256 * MB), cwd=tmp_path))
    for message in results.values():
        refused_with_estimate(message)
    assert "optimiser state" in results["4 x 4096 float64 adam"]


_CLI_UNDER_LIMIT = (
    "import sys\nimport main\nimport sklearn.model_selection\n"
    + LIMIT_AS
    + "sys.exit(main.main(sys.argv[2:]))\n"
)


def test_the_command_line_refuses_the_largest_network_with_its_estimate(tmp_path):
    proc = run_python(
        _CLI_UNDER_LIMIT,
        str(1024 * MB),
        "train",
        "--dataset",
        "digits",
        "--hidden",
        ",".join(["8192"] * 8),
        "--dtype",
        "float64",
        "--optimizer",
        "adam",
        "--batch-size",
        "65536",
        "--epochs",
        "1",
        "--no-pictures",
        "-o",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )
    (line,) = error_lines(proc.stderr)
    assert proc.returncode == 2, proc.stderr
    refused_with_estimate(line)
    assert "64-8192-8192-8192-8192-8192-8192-8192-8192-10 float64 network with adam" in line
    assert not (tmp_path / "out").exists()  # refused before the run's folder was made


# -- compressed files that claim gigabytes ----------------------------------------------
def _idx_header(code: int, shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


_READERS = (
    """
import json, sys
from pathlib import Path
import sklearn.model_selection
from core.data import load_dataset, read_idx
from core.data.cifar import read_cifar
from core.errors import DataError
"""
    + LIMIT_AS
    + """
folder = Path(sys.argv[2])
cases = {
    "idx gzip": lambda: read_idx(folder / "claims.gz"),
    "idx dataset": lambda: load_dataset(str(folder / "dataset")),
    "cifar archive": lambda: read_cifar(folder / "cifar-10-binary.tar.gz"),
}
out = {}
for name, read in cases.items():
    try:
        read()
        out[name] = "read"
    except DataError as e:
        out[name] = str(e)
    except BaseException as e:
        out[name] = f"ESCAPED {type(e).__name__}: {e}"
print(json.dumps(out))
"""
)


def _cifar_bomb(path: Path, claimed: int) -> None:
    """A .tar.gz whose first batch's header claims ``claimed`` bytes; a few KB follow."""
    info = tarfile.TarInfo("cifar-10-batches-bin/data_batch_1.bin")
    info.size = claimed
    raw = info.tobuf(format=tarfile.GNU_FORMAT) + bytes(8192)
    path.write_bytes(gzip.compress(raw, mtime=0))


def test_compressed_files_claiming_more_than_memory_are_refused_before_inflating(tmp_path):
    rng = np.random.default_rng(0)
    # A 256 KB gzip may honestly hold up to 264 MB; this one claims 200 MB.
    body = rng.integers(0, 256, 256 * 1024, dtype=np.uint8).tobytes()
    (tmp_path / "claims.gz").write_bytes(
        gzip.compress(_idx_header(0x08, (200, 1000, 1000)) + body, mtime=0)
    )
    # A folder of whole, raw IDX files: 40 MB of pixels each read fine on their own, but
    # the dataset they make (split copies and float32 pixels) needs six times that.
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    for prefix, n in (("train", 40), ("t10k", 4)):
        images = _idx_header(0x08, (n, 1000, 1000)) + bytes(n * 1000 * 1000)
        (dataset / f"{prefix}-images-idx3-ubyte").write_bytes(images)
        labels = _idx_header(0x08, (n,)) + bytes(i % 2 for i in range(n))
        (dataset / f"{prefix}-labels-idx1-ubyte").write_bytes(labels)
    _cifar_bomb(tmp_path / "cifar-10-binary.tar.gz", claimed=900 * MB)

    results = outcomes(run_python(_READERS, str(128 * MB), str(tmp_path), cwd=tmp_path))
    assert set(results) == {"idx gzip", "idx dataset", "cifar archive"}
    for message in results.values():
        refused_with_estimate(message)


def test_an_extra_deflated_entry_in_a_checkpoint_is_refused_without_inflating_it(
    small_checkpoint, tmp_path
):
    payload = io.BytesIO()
    np.save(payload, np.zeros(4 * MB))  # 32 MB of float64 zeros, deflated to ~32 KB
    bad = tmp_path / "extra.npz"
    with zipfile.ZipFile(small_checkpoint) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("zzz.npy", payload.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
    del payload
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match="unexpected entry 'zzz'"):
            checkpoint.load(bad)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MB


# -- sizes a person types ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "argv"),
    [
        ("a trillion seeds", ["--lr", "0.1", "--seeds", str(10**12)]),
        (
            "a grid of 150,000 trials",
            [
                "--lr",
                ",".join(f"0.0{i}" for i in range(1, 11)),
                "--hidden",
                ",".join(map(str, range(1, 21))),
                "--batch",
                ",".join(map(str, range(1, 26))),
                "--seeds",
                "30",
            ],
        ),
        (
            "a billion random trials from two values",
            ["--search", "random", "--trials", str(10**9), "--lr", "0.1,0.2"],
        ),
    ],
)
def test_sweep_sizes_past_the_limit_are_refused_before_anything_is_listed(tmp_path, case, argv):
    proc = run_cli(
        "sweep",
        "--dataset",
        "digits",
        "--epochs",
        "1",
        "--jobs",
        "1",
        "--no-plot",
        "--out",
        str(tmp_path / "sweep.csv"),
        *argv,
        cwd=tmp_path,
        timeout=90,
    )
    (line,) = error_lines(proc.stderr)
    assert proc.returncode == 2 and "100,000" in line, (case, proc.stderr)
    assert not (tmp_path / "sweep.csv").exists()


def test_a_sweep_spec_of_too_many_trials_is_refused():
    with pytest.raises(ConfigError, match=r"a sweep of 200,002 trials .*at most 100,000"):
        SweepSpec(
            Config(dataset="digits"),
            axes=(Axis.parse("learning_rate", "0.1,0.2"),),
            seeds=tuple(range(100_001)),
        )
