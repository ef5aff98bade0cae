"""Score tables to the ``{algorithm: (num_runs, num_tasks[, num_frames])}`` dicts the
API takes: long format (one row per algorithm, task, run [, frame]) and wide format
(one row per algorithm and run, one column per task)."""

from __future__ import annotations

import csv
import gzip
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeAlias, overload

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["from_long", "from_wide"]

# A table: a DataFrame, or the path of a CSV/TSV/Parquet file.
Table: TypeAlias = "pd.DataFrame | str | os.PathLike[str]"
# Algorithm -> (num_runs, num_tasks[, num_frames]) scores.
ScoreDict: TypeAlias = dict[str, NDArray[np.float64]]
# With return_labels: the scores, the task labels (the column order) and the
# frame labels as they are in the table (None without frames).
LabelledScores: TypeAlias = tuple[ScoreDict, list[str], list[object] | None]

_TEXT_SUFFIXES = (".csv", ".tsv", ".tab", ".txt")
_PARQUET_SUFFIXES = (".parquet", ".pq")
# Cells that mean "missing" to a person but are not a number to a parser: the
# error says to leave such a cell empty instead.
_MISSING_WORDS = {"n/a", "na", "nan", "none", "null", "missing", "-", "?", "--", "#n/a"}
_DECIMAL_COMMA = re.compile(r"(^|;)\s*-?\d+,\d+\s*(;|$)", re.MULTILINE)
_DECIMAL_CELL = re.compile(r"^\s*(-?\d+),(\d+)\s*$")


def _pandas():
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - exercised without the extra
        raise ImportError("reading score tables needs pandas: pip install 'precipice[pandas]'") from None
    return pd


def _text_sample(path: Path, compression: str | None) -> str:
    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(1 << 16)
    # Complete lines only: a cut line can fool the delimiter sniffer.
    return sample[: sample.rfind("\n") + 1] or sample


def _read_text(path: Path, compression: str | None, base_suffix: str):
    pd = _pandas()
    sample = _text_sample(path, compression)
    if not sample.strip():
        raise ValueError(f"data: {str(path)!r} is empty")
    if base_suffix in (".tsv", ".tab"):
        sep = "\t"
    else:
        try:
            sep = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:  # one column, or too irregular to tell: the CSV default
            sep = ","
    # Spreadsheets that write ';' between cells write ',' as the decimal mark.
    decimal = "," if sep == ";" and _DECIMAL_COMMA.search(sample) else "."
    # Only empty cells are missing: 'n/a', 'NaN' and friends stay text, so the
    # error can show them; blank lines are kept (then dropped) so that row i of
    # the frame is line i + 2 of the file.
    table = pd.read_csv(
        path,
        sep=sep,
        decimal=decimal,
        compression=compression,
        encoding="utf-8-sig",
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=False,
        float_precision="round_trip",
    )
    table = table[~table.isna().all(axis=1)]
    if decimal == ",":
        # A column with a text cell ('n/a') is read as text: its decimal commas still count.
        for column in table.columns[table.dtypes.map(lambda dtype: dtype.kind == "O")]:
            table[column] = table[column].str.replace(_DECIMAL_CELL, r"\1.\2", regex=True)
    return table.reset_index(drop=True), table.index.to_numpy() + 2


def _read(data):
    """(table, line numbers or None): line numbers of a file's rows, None for a DataFrame."""
    pd = _pandas()
    if isinstance(data, pd.DataFrame):
        return data.reset_index(drop=True), None
    if not isinstance(data, (str, os.PathLike)):
        raise TypeError(
            f"data must be a pandas DataFrame or a path to a CSV/TSV/Parquet file, got {type(data).__name__}"
        )
    path = Path(data)
    if not path.exists():
        raise ValueError(f"data: no such file {str(path)!r}")
    if path.is_dir():
        raise ValueError(f"data: {str(path)!r} is a folder, not a file")
    suffixes = [s.lower() for s in path.suffixes]
    compression = "gzip" if suffixes[-1:] == [".gz"] else None
    base_suffix = (suffixes[-2] if compression else suffixes[-1]) if suffixes else ""
    try:
        if base_suffix in _PARQUET_SUFFIXES and compression is None:
            return pd.read_parquet(path).reset_index(drop=True), None
        if base_suffix in _TEXT_SUFFIXES:
            return _read_text(path, compression, base_suffix)
    except UnicodeDecodeError:
        raise ValueError(f"data: {str(path)!r} is not UTF-8 text") from None
    except gzip.BadGzipFile:
        raise ValueError(f"data: {str(path)!r} is not a gzip file") from None
    except pd.errors.ParserError as error:
        raise ValueError(f"data: {str(path)!r} could not be read: {error}".rstrip()) from None
    raise ValueError(f"data: expected a .csv, .tsv or .parquet file (text files may be .gz), got {str(path)!r}")


def _locator(lines, column: str | None = None):
    """Where positional row i came from, in words: 'line 7' for a file, 'row 7' for a frame."""
    suffix = f", column {column!r}" if column is not None else ""
    if lines is None:
        return lambda i: f"row {i}{suffix}"
    return lambda i: f"line {lines[i]}{suffix}"


def _scores(cells, score: str, locate, ragged: bool) -> np.ndarray:
    """float64 scores from a column of cells, every bad cell refused by its place."""
    pd = _pandas()
    # numpy would drop the imaginary part without a word
    is_complex = cells.map(lambda v: isinstance(v, complex)) if cells.dtype.kind in "cO" else None
    if is_complex is not None and is_complex.any():
        i = int(np.flatnonzero(is_complex.to_numpy())[0])
        raise ValueError(
            f"score column {score!r} holds complex numbers ({locate(i)}: {cells.iloc[i]!r}); scores must be real"
        )
    values = pd.to_numeric(cells, errors="coerce")
    bad = (values.isna() & cells.notna()).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        cell = cells.iloc[i]
        try:
            overflows = math.isinf(float(cell))  # '1e400': a number, too large for float64
        except (TypeError, ValueError):
            overflows = False
        if overflows:
            raise ValueError(f"{locate(i)}: the score {cell!r} is infinite as a float64; scores must be finite")
        hint = ""
        if str(cell).strip().lower() in _MISSING_WORDS:
            hint = "; to mark a missing run leave the cell empty and pass ragged=True (--ragged on the command line)"
        raise ValueError(f"{locate(i)}: the score {cell!r} is not a number{hint}")
    values = values.to_numpy(dtype=np.float64)
    infinite = np.isinf(values)
    if infinite.any():
        i = int(np.flatnonzero(infinite)[0])
        raise ValueError(f"{locate(i)}: the score is {values[i]}; scores must be finite numbers")
    if not ragged and np.isnan(values).any():
        i = int(np.flatnonzero(np.isnan(values))[0])
        raise ValueError(f"{locate(i)}: the score is empty (pass ragged=True to keep it as NaN)")
    checked: np.ndarray = values
    return checked


def _to_arrays(df, values, *, algorithm, task, run, frame, ragged, return_labels, locate) -> ScoreDict | LabelledScores:
    keys = [algorithm, task, run] + ([frame] if frame is not None else [])
    empty = df[keys].isna()
    if empty.any().any():
        i = int(np.flatnonzero(empty.any(axis=1).to_numpy())[0])
        names = ", ".join(k for k in keys if empty[k].iloc[i])
        raise ValueError(f"{locate(i)} has an empty {names}")
    duplicated = df.duplicated(subset=keys, keep=False).to_numpy()
    if duplicated.any():
        first, *others = np.flatnonzero(duplicated)
        twin = next(j for j in others if (df[keys].iloc[j] == df[keys].iloc[first]).all())
        # Python scalars: the message shows 0, not np.int64(0)
        label = {
            k: df[k].iloc[first].item() if isinstance(df[k].iloc[first], np.generic) else df[k].iloc[first]
            for k in keys
        }
        raise ValueError(
            f"duplicate rows for {label} ({locate(first)} and {locate(twin)}): "
            f"each ({', '.join(keys)}) must appear once"
        )

    tasks = sorted(df[task].unique(), key=str)
    frames = sorted(df[frame].unique()) if frame is not None else [None]
    task_sets = {a: set(g[task].unique()) for a, g in df.groupby(algorithm, sort=False)}
    reference_alg, reference = next(iter(task_sets.items()))
    for a, ts in task_sets.items():
        if ts != reference:
            diff = sorted(map(str, ts ^ reference))[:5]
            raise ValueError(f"algorithms {reference_alg!r} and {a!r} have different task sets (differ in {diff})")
    out = {}
    task_index = {t: i for i, t in enumerate(tasks)}
    frame_index = {f: i for i, f in enumerate(frames)}
    for a, group in df.groupby(algorithm, sort=False):
        runs = sorted(group[run].unique(), key=str)
        run_index = {r: i for i, r in enumerate(runs)}
        array = np.full((len(runs), len(tasks), len(frames)), np.nan)
        rows = group[run].map(run_index).to_numpy()
        cols = group[task].map(task_index).to_numpy()
        deep = group[frame].map(frame_index).to_numpy() if frame is not None else np.zeros(len(group), dtype=int)
        array[rows, cols, deep] = values[group.index.to_numpy()]
        if not ragged and np.isnan(array).any():
            r, t, f = np.argwhere(np.isnan(array))[0]
            where = f"run {runs[r]!r} on task {tasks[t]!r}" + (f" at frame {frames[f]!r}" if frame is not None else "")
            raise ValueError(
                f"algorithm {a!r} has no score for {where} (pass ragged=True to fill missing cells "
                "with NaN and bootstrap with nan_policy='omit')"
            )
        out[str(a)] = array if frame is not None else array[:, :, 0]
    if return_labels:
        return out, [str(t) for t in tasks], (frames if frame is not None else None)
    return out


def _require_columns(df, columns: list[tuple[str, str]]) -> None:
    """columns: (role, name) pairs."""
    missing = [f"{role} column {name!r}" for role, name in columns if name not in df.columns]
    if missing:
        raise ValueError(f"data has no {', '.join(missing)}; columns are {list(map(str, df.columns))}")
    if len(df) == 0:
        raise ValueError("data has no rows")


@overload
def from_long(
    data: Table,
    *,
    algorithm: str = "algorithm",
    task: str = "task",
    run: str = "run",
    score: str = "score",
    frame: str | None = None,
    ragged: bool = False,
    return_labels: Literal[False] = False,
) -> ScoreDict: ...
@overload
def from_long(
    data: Table,
    *,
    algorithm: str = "algorithm",
    task: str = "task",
    run: str = "run",
    score: str = "score",
    frame: str | None = None,
    ragged: bool = False,
    return_labels: Literal[True],
) -> LabelledScores: ...
@overload
def from_long(
    data: Table,
    *,
    algorithm: str = "algorithm",
    task: str = "task",
    run: str = "run",
    score: str = "score",
    frame: str | None = None,
    ragged: bool = False,
    return_labels: bool = False,
) -> ScoreDict | LabelledScores: ...
def from_long(
    data: Table,
    *,
    algorithm: str = "algorithm",
    task: str = "task",
    run: str = "run",
    score: str = "score",
    frame: str | None = None,
    ragged: bool = False,
    return_labels: bool = False,
) -> ScoreDict | LabelledScores:
    """Score dict from a long-format table.

    Parameters
    ----------
    data : pandas.DataFrame, or a path to a CSV/TSV/Parquet file
        Text files may be gzip-compressed (``.csv.gz``, ``.tsv.gz``); the
        delimiter of a ``.csv`` is detected (comma, semicolon, tab or bar), and a
        semicolon file with decimal commas reads as numbers. Only empty cells are
        missing: a cell holding ``n/a`` or ``NaN`` is an error that names it.
    algorithm, task, run, score, frame : str
        Column names. ``frame`` (optional) adds a third axis, e.g. training steps
        for sample-efficiency curves.
    ragged : bool
        False (default): every algorithm must have every run on every task (and
        frame); a missing cell is an error. True: missing cells become NaN, for
        ``nan_policy="omit"``.
    return_labels : bool
        Also return the task labels (the column order) and frame labels.

    Returns
    -------
    dict of str to ndarray
        ``(num_runs, num_tasks)`` (or ``(num_runs, num_tasks, num_frames)``) per
        algorithm; with ``return_labels``, ``(scores, tasks, frames)``.

    Raises
    ------
    ValueError
        A missing column, an empty key cell, a score that is not a finite real
        number, a duplicate row, different task sets, or (unless ``ragged``) a
        missing score. Messages give the file's line number (a DataFrame's row).

    Notes
    -----
    Tasks are sorted and shared by all algorithms, which must have the same task
    set. Runs are matched by their label across tasks.
    """
    df, lines = _read(data)
    columns = [("algorithm", algorithm), ("task", task), ("run", run), ("score", score)]
    if frame is not None:
        columns.append(("frame", frame))
    _require_columns(df, columns)
    values = _scores(df[score], score, _locator(lines), ragged)
    return _to_arrays(
        df,
        values,
        algorithm=algorithm,
        task=task,
        run=run,
        frame=frame,
        ragged=ragged,
        return_labels=return_labels,
        locate=_locator(lines),
    )


@overload
def from_wide(
    data: Table,
    *,
    algorithm: str = "algorithm",
    run: str = "run",
    tasks: Sequence[str] | None = None,
    ragged: bool = False,
    return_labels: Literal[False] = False,
) -> ScoreDict: ...
@overload
def from_wide(
    data: Table,
    *,
    algorithm: str = "algorithm",
    run: str = "run",
    tasks: Sequence[str] | None = None,
    ragged: bool = False,
    return_labels: Literal[True],
) -> LabelledScores: ...
@overload
def from_wide(
    data: Table,
    *,
    algorithm: str = "algorithm",
    run: str = "run",
    tasks: Sequence[str] | None = None,
    ragged: bool = False,
    return_labels: bool = False,
) -> ScoreDict | LabelledScores: ...
def from_wide(
    data: Table,
    *,
    algorithm: str = "algorithm",
    run: str = "run",
    tasks: Sequence[str] | None = None,
    ragged: bool = False,
    return_labels: bool = False,
) -> ScoreDict | LabelledScores:
    """Score dict from a wide table: one row per algorithm and run, one column per task.

    Parameters
    ----------
    data : pandas.DataFrame, or a path to a CSV/TSV/Parquet file
        Read as :func:`from_long` reads it (gzip, delimiter detection).
    algorithm : str
        The column naming the algorithm (or model) of each row.
    run : str
        The column naming the run (seed) of each row. A table without it has
        one run per row: each algorithm's rows are its runs, in file order.
    tasks : sequence of str, optional
        The task (benchmark) columns; by default every other column.
    ragged, return_labels : bool
        As in :func:`from_long`.

    Returns
    -------
    dict of str to ndarray
        ``(num_runs, num_tasks)`` per algorithm; with ``return_labels``,
        ``(scores, tasks, None)``.

    Raises
    ------
    ValueError
        As :func:`from_long`; a bad score is named by line and column.
    """
    pd = _pandas()
    df, lines = _read(data)
    _require_columns(df, [("algorithm", algorithm)])
    if tasks is None:
        task_columns = [c for c in df.columns if c not in (algorithm, run)]
    else:
        task_columns = list(tasks)
        _require_columns(df, [("task", t) for t in task_columns])
    if not task_columns:
        raise ValueError(f"data has no task columns beside {algorithm!r}; columns are {list(map(str, df.columns))}")
    if run in df.columns:
        runs = df[run]
    else:
        runs = df.groupby(algorithm, sort=False).cumcount()
    rows = len(df)
    values = np.empty(rows * len(task_columns))
    for k, column in enumerate(task_columns):  # one pass per column: names each bad cell by its column
        values[k * rows : (k + 1) * rows] = _scores(df[column], str(column), _locator(lines, str(column)), ragged)
    # The long table keeps the user's column names, for the messages.
    task = "task" if "task" not in (algorithm, run) else "task column"
    long = pd.DataFrame(
        {
            algorithm: np.tile(df[algorithm].to_numpy(), len(task_columns)),
            task: np.repeat(np.array([str(c) for c in task_columns], dtype=object), rows),
            run: np.tile(runs.to_numpy(), len(task_columns)),
        }
    )
    long_lines = None if lines is None else np.tile(lines, len(task_columns))
    return _to_arrays(
        long,
        values,
        algorithm=algorithm,
        task=task,
        run=run,
        frame=None,
        ragged=ragged,
        return_labels=return_labels,
        locate=_locator(long_lines),
    )
