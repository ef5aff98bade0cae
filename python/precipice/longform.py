"""Long-format score tables (one row per algorithm, task, run [, frame]) to the
``{algorithm: (num_runs, num_tasks[, num_frames])}`` dicts the API takes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["from_long"]


def _read(data):
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - exercised without the extra
        raise ImportError("from_long needs pandas: pip install 'precipice[pandas]'") from None
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (str, os.PathLike)):
        path = Path(data)
        if not path.exists():
            raise ValueError(f"data: no such file {str(path)!r}")
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if path.suffix.lower() in (".csv", ".txt", ".tsv"):
            # round_trip: the scores read back exactly as written
            return pd.read_csv(path, sep="\t" if path.suffix.lower() == ".tsv" else ",", float_precision="round_trip")
        raise ValueError(f"data: expected a .csv, .tsv or .parquet file, got {str(path)!r}")
    raise TypeError(f"data must be a pandas DataFrame or a path to a CSV/Parquet file, got {type(data).__name__}")


def from_long(data, *, algorithm: str = "algorithm", task: str = "task", run: str = "run", score: str = "score",
              frame: str | None = None, ragged: bool = False, return_labels: bool = False):
    """Score dict from a long-format table.

    Parameters
    ----------
    data : pandas.DataFrame, or a path to a CSV/TSV/Parquet file
    algorithm, task, run, score, frame : column names
        ``frame`` (optional) adds a third axis, e.g. training steps for
        sample-efficiency curves.
    ragged : bool
        False (default): every algorithm must have every run on every task (and
        frame); a missing cell is an error. True: missing cells become NaN, for
        ``nan_policy="omit"``.
    return_labels : bool
        Also return the task labels (the column order) and frame labels.

    Notes
    -----
    Tasks are sorted and shared by all algorithms, which must have the same task
    set. Runs are matched by their label across tasks.
    """
    # Positional row numbers, for messages and for aligning columns.
    df = _read(data).reset_index(drop=True)
    columns = {"algorithm": algorithm, "task": task, "run": run, "score": score}
    if frame is not None:
        columns["frame"] = frame
    missing = [f"{role} column {name!r}" for role, name in columns.items() if name not in df.columns]
    if missing:
        raise ValueError(f"data has no {', '.join(missing)}; columns are {list(map(str, df.columns))}")
    if len(df) == 0:
        raise ValueError("data has no rows")
    keys = [algorithm, task, run] + ([frame] if frame is not None else [])
    if df[keys].isna().any().any():
        bad = df[keys].isna().any(axis=1).to_numpy().nonzero()[0][0]
        raise ValueError(f"data row {bad} has an empty {', '.join(k for k in keys if df[k].isna().iloc[bad])}")
    import pandas as pd

    values = pd.to_numeric(df[score], errors="coerce")
    bad = values.isna() & df[score].notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"score column {score!r}: row {i} holds {df[score].iloc[i]!r}, not a number")
    if values.isna().any() and not ragged:
        i = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise ValueError(f"score column {score!r}: row {i} is empty (pass ragged=True to keep it as NaN)")
    duplicated = df.duplicated(subset=keys, keep=False)
    if duplicated.any():
        first = df.loc[duplicated, keys].iloc[0].to_dict()
        raise ValueError(f"duplicate rows for {first}: each ({', '.join(keys)}) must appear once")

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
        array[rows, cols, deep] = values.loc[group.index].to_numpy(dtype=np.float64)
        if not ragged and np.isnan(array).any():
            r, t, f = np.argwhere(np.isnan(array))[0]
            where = f"run {runs[r]!r} on task {tasks[t]!r}" + (f" at frame {frames[f]!r}" if frame is not None else "")
            raise ValueError(f"algorithm {a!r} has no score for {where} (pass ragged=True to fill missing cells "
                             "with NaN and bootstrap with nan_policy='omit')")
        out[str(a)] = array if frame is not None else array[:, :, 0]
    if return_labels:
        return out, [str(t) for t in tasks], (frames if frame is not None else None)
    return out
