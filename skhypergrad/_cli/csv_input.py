"""Reading the demo's numeric CSV input, with one-line error messages."""

import csv
import math
import os

import numpy as np

MIN_ROWS = 5


class InputError(Exception):
    """A problem with the command-line input, reported in one line (exit code 2)."""


def _shorten(text, width=30):
    """Quote a cell for an error message, shortened and on one line."""
    text = repr(text)
    return text if len(text) <= width else text[: width - 3] + "..."


def _parse_cell(cell, where, column):
    """Parse one CSV cell as a finite float or raise InputError."""
    text = cell.strip()
    if not text:
        raise InputError(f"{where}: empty cell in column {_shorten(column)}")
    try:
        value = float(text)
    except ValueError:
        raise InputError(
            f"{where}: cannot read {_shorten(text)} in column {_shorten(column)} "
            "as a number"
        ) from None
    if not math.isfinite(value):
        raise InputError(
            f"{where}: {_shorten(text)} in column {_shorten(column)} is not finite"
        )
    return value


def _target_index(header, target, name):
    """Return the position of the target column in the header."""
    matches = [i for i, column in enumerate(header) if column == target]
    if not matches:
        shown = ", ".join(_shorten(c) for c in header[:10])
        more = ", ..." if len(header) > 10 else ""
        hint = ""
        if len(header) == 1 and any(d in header[0] for d in ";\t|"):
            hint = "; only commas separate columns"
        raise InputError(
            f"column {_shorten(target)} is not in the header of {name} "
            f"(columns: {shown}{more}){hint}"
        )
    if len(matches) > 1:
        raise InputError(f"column {_shorten(target)} appears {len(matches)} times")
    if len(header) < 2:
        raise InputError(f"{name} has no feature column besides {_shorten(target)}")
    return matches[0]


def _read_rows(path, target):
    """Read a CSV file: header, target index, and (line number, row) pairs."""
    name = os.path.basename(path) or path
    reader = None
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if not header or not "".join(header).strip():
                raise InputError(f"{name} has no header row on its first line")
            header = [column.strip() for column in header]
            index = _target_index(header, target, name)
            rows = []
            for row in reader:
                if len(row) > 1 or (row and row[0].strip()):  # skip blank lines
                    rows.append((reader.line_num, row))
    except OSError as exc:
        raise InputError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{name} is not UTF-8 text") from None
    except csv.Error as exc:
        line = reader.line_num if reader is not None else "?"
        raise InputError(f"{name} line {line}: {exc}") from None
    return name, header, index, rows


def read_csv(path, target):
    """Read a numeric CSV file with a header row into features and target.

    Parameters
    ----------
    path : str
        Path of a comma-separated UTF-8 file: one header row, then one row
        per sample, every cell a finite number.
    target : str
        Header name of the target column; every other column is a feature.

    Returns
    -------
    name : str
        The file's base name, used as the dataset name.
    X : ndarray of shape (n_rows, n_columns - 1)
        Features, in file order.
    y : ndarray of shape (n_rows,)
        Target.

    Raises
    ------
    InputError
        If the file cannot be read, the target is not a column, a row has the
        wrong number of cells, a cell is empty, not a number or not finite,
        or there are fewer than ``MIN_ROWS`` rows.
    """
    name, header, index, rows = _read_rows(path, target)
    if len(rows) < MIN_ROWS:
        raise InputError(
            f"{name} has {len(rows)} data row(s); at least {MIN_ROWS} are needed"
        )
    data = np.empty((len(rows), len(header)))
    for i, (line, row) in enumerate(rows):
        where = f"{name} line {line}"
        if len(row) != len(header):
            raise InputError(
                f"{where} has {len(row)} cells, the header has {len(header)}"
            )
        data[i] = [_parse_cell(c, where, h) for c, h in zip(row, header, strict=True)]
    return name, np.delete(data, index, axis=1), data[:, index]
