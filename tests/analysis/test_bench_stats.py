"""bench/replicates.py and bench/sae.py still run end to end (small sizes, no R, no timings)."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "bench"


def _load(name: str):  # noqa: ANN202
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("replicates", ["--n", "20000", "--replicates", "10", "--repeat", "1"]),
        ("sae", ["--repeat", "2"]),
    ],
)
def test_bench_runs(name: str, args: list[str], monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    bench = _load(name)
    monkeypatch.setattr(sys, "argv", [name, *args, "--no-r"])
    bench.main()
    assert "gesurvey:" in capsys.readouterr().out
