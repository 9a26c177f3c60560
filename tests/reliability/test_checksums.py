"""A folder's SHA256SUMS is honoured however the folder was given.

``--dataset FOLDER``, ``--data-path FOLDER``, ``BACKPROP_DATA`` and
``load_dataset(FOLDER)``: one file that does not match its listed hash is refused
before it is parsed, in all of them, for IDX files and CIFAR-10 batches alike.
"""

from __future__ import annotations

import hashlib

import pytest
from data_fakes import cifar_files, fake_cifar, fake_mnist, idx_files, write_files

from core.cli import main
from core.data import load_dataset
from core.errors import DataError
from tests.reliability.conftest import error_lines


def listed_wrong(folder, wrong: str):
    """Write SHA256SUMS for every file in ``folder``, with ``wrong``'s hash not its own."""
    lines = []
    for path in sorted(folder.iterdir()):
        digest = hashlib.sha256(path.read_bytes() + (b"!" if path.name == wrong else b""))
        lines.append(f"{digest.hexdigest()}  {path.name}\n")
    (folder / "SHA256SUMS").write_text("".join(lines))
    return folder


@pytest.fixture
def idx_folder(tmp_path):
    folder = write_files(tmp_path / "digits idx", idx_files(fake_mnist(seed=5)))
    return listed_wrong(folder, "t10k-images-idx3-ubyte.gz")


@pytest.fixture
def cifar_folder(tmp_path):
    folder = write_files(tmp_path / "cifar-10-batches-bin", cifar_files(fake_cifar()))
    return listed_wrong(folder, "data_batch_3.bin")


@pytest.mark.parametrize("how", ["--dataset FOLDER", "--data-path FOLDER", "BACKPROP_DATA"])
def test_a_file_that_does_not_match_its_sum_is_refused(
    idx_folder, tmp_path, monkeypatch, capsys, how
):
    monkeypatch.setenv("BACKPROP_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("BACKPROP_DATA", raising=False)
    given = {
        "--dataset FOLDER": ["--dataset", str(idx_folder)],
        "--data-path FOLDER": ["--dataset", "mnist", "--data-path", str(idx_folder)],
        "BACKPROP_DATA": ["--dataset", "mnist"],
    }[how]
    if how == "BACKPROP_DATA":
        monkeypatch.setenv("BACKPROP_DATA", str(idx_folder))
    code = main(["train", *given, "--epochs", "1", "--no-pictures", "-o", str(tmp_path / "out")])
    (line,) = error_lines(capsys.readouterr().err)
    assert code == 1 and "t10k-images-idx3-ubyte.gz: SHA-256 is" in line, line
    assert "SHA256SUMS beside it says" in line


@pytest.mark.parametrize("which", ["idx", "cifar"])
def test_the_library_checks_a_folder_given_as_the_dataset(idx_folder, cifar_folder, which):
    folder, wrong = {
        "idx": (idx_folder, "t10k-images-idx3-ubyte.gz"),
        "cifar": (cifar_folder, "data_batch_3.bin"),
    }[which]
    with pytest.raises(DataError, match=f"{wrong}: SHA-256 is .* SHA256SUMS beside it says"):
        load_dataset(str(folder))
