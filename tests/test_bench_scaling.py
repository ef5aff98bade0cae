"""bench/bench_scaling.py --quick runs, checks bit-identity across thread counts and a cluster, writes JSON."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "bench_scaling.py"


def test_quick_scaling_run(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    spec = importlib.util.spec_from_file_location("bench_scaling", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    out = tmp_path / "scaling.json"
    assert module.main(["--quick", "--threads", "1,2", "--json", str(out)]) == 0
    table = json.loads(out.read_text())
    assert table["threads"] == [1, 2]
    assert len(table["cases"]) == 7 and all(set(row["seconds"]) == {"1", "2"} for row in table["cases"])
    assert len(table["dask"]) == 6
    assert "| case |" in capsys.readouterr().out
