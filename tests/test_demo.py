"""Tests of the command-line demo ``python -m skhypergrad``."""

import re
import subprocess
import sys

import numpy as np
import pytest

from skhypergrad._cli import demo as demo
from skhypergrad._cli.demo import main

ESTIMATORS = (
    "GradientRidgeCV()",
    'GradientRidgeCV(feature_groups="each")',
    "RidgeCV(alphas=logspace(-6,6,100))",
)


def parse_table(text):
    """Return the demo table's rows as dicts keyed by the header's titles."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("dataset"))
    header = re.split(r"\s{2,}", lines[start].strip())
    assert set(lines[start + 1].replace(" ", "")) == {"-"}
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        assert len(cells) == len(header), line
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


def write_csv(path, header, rows):
    """Write a header and rows of cells (already strings or numbers) as CSV."""
    lines = [",".join(header)] + [",".join(str(c) for c in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def linear_csv(tmp_path, n_samples=60):
    """A CSV whose target (a middle column) is linear in the features."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, 3))
    y = 1.0 + X @ [2.0, -3.0, 0.5] + 0.1 * rng.normal(size=n_samples)
    rows = [
        [f"{a:.6f}", f"{t:.6f}", f"{b:.6f}", f"{c:.6f}"]
        for (a, b, c), t in zip(X, y, strict=True)
    ]
    return write_csv(tmp_path / "linear data.csv", ["x1", "y", "x2", "x3"], rows)


def test_demo_without_arguments(capsys):
    assert main([]) == 0
    captured = capsys.readouterr()
    rows = parse_table(captured.out)
    assert [(r["dataset"], r["estimator"]) for r in rows] == [
        (dataset, name) for dataset in ("diabetes", "synthetic") for name in ESTIMATORS
    ]
    for row in rows:
        assert float(row["LOO MSE"]) > 0
        assert float(row["fit s"]) >= 0
        assert -1 < float(row["test R^2"]) <= 1
    assert "Traceback" not in captured.err


def test_csv_with_linear_target(tmp_path, capsys):
    path = linear_csv(tmp_path)
    assert main(["--csv", path, "--target", "y"]) == 0
    captured = capsys.readouterr()
    rows = parse_table(captured.out)
    assert {r["dataset"] for r in rows} == {"linear data.csv"}
    assert [r["estimator"] for r in rows] == list(ESTIMATORS)
    for row in rows:
        if row["estimator"].startswith("GradientRidgeCV"):
            assert float(row["test R^2"]) > 0.9, row
    assert captured.err == ""


def test_csv_skips_blank_lines_and_reads_bom(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 2))
    y = X @ [1.0, 2.0]
    body = "\n".join(f"{a},{b},{t}\n" for (a, b), t in zip(X, y, strict=True))
    path = tmp_path / "blank.csv"
    path.write_text("\ufeffa, b ,t\n" + body, encoding="utf-8")
    assert main(["--csv", str(path), "--target", "t"]) == 0
    assert "blank.csv" in capsys.readouterr().out


def _bad_cell(tmp_path, cell):
    rows = [[i, 2 * i + 1] for i in range(10)]
    rows[3][0] = cell
    return write_csv(tmp_path / "bad.csv", ["x", "y"], rows)


ERROR_CASES = {
    "missing file": (lambda p: str(p / "missing.csv"), "y", "missing.csv"),
    "directory": (lambda p: str(p), "y", "cannot read"),
    "missing column": (
        lambda p: write_csv(p / "a.csv", ["x", "y"], [[i, i] for i in range(10)]),
        "z",
        "'z'",
    ),
    "non-numeric cell": (lambda p: _bad_cell(p, "abc"), "y", "'abc'"),
    "empty cell": (lambda p: _bad_cell(p, ""), "y", "empty cell"),
    "nan cell": (lambda p: _bad_cell(p, "nan"), "y", "not finite"),
    "too few rows": (
        lambda p: write_csv(p / "a.csv", ["x", "y"], [[1, 2], [2, 3]]),
        "y",
        "at least",
    ),
    "ragged row": (
        lambda p: write_csv(
            p / "a.csv", ["x", "y"], [[i, i] for i in range(9)] + [[1]]
        ),
        "y",
        "cells",
    ),
    "no feature column": (
        lambda p: write_csv(p / "a.csv", ["y"], [[i] for i in range(10)]),
        "y",
        "no feature",
    ),
    "empty file": (lambda p: write_csv(p / "a.csv", [], []), "y", "no header"),
    "not utf-8": (
        lambda p: (p / "a.csv").write_bytes(b"x,y\n\xff\xfe,1\n") and str(p / "a.csv"),
        "y",
        "UTF-8",
    ),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_csv_input_errors(case, tmp_path, capsys):
    make_path, target, expected = ERROR_CASES[case]
    code = main(["--csv", make_path(tmp_path), "--target", target])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    assert captured.err.count("\n") == 1, captured.err
    assert expected in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("argv", [["--csv", "data.csv"], ["--target", "y"], ["--x"]])
def test_usage_errors(argv, capsys):
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


class _Failing:
    def fit(self, X, y):
        raise ValueError("singular\nmatrix")


def test_fit_failure_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(demo, "make_estimators", lambda: [("Failing()", _Failing())])
    assert main(["--csv", linear_csv(tmp_path), "--target", "y"]) == 1
    err = capsys.readouterr().err
    assert err == "error: Failing() failed on linear data.csv: singular matrix\n"


def test_module_exits_2_on_missing_file(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "skhypergrad", "--csv", "missing.csv", "--target", "y"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr
