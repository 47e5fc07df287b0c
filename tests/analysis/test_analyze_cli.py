"""``microcath analyze``: table, JSON, per-particle CSV, clear errors."""

import json

from analysis_helpers import PHASES, designed

from microcath import Microstructure, io
from microcath.cli.main import main


def test_cli_json_and_csv(ti_cpu, tmp_path, capsys):
    f = tmp_path / "s.mcath"
    io.save(designed(), f)
    out_csv = tmp_path / "pp.csv"
    assert main(["analyze", str(f), "--json", "--per-particle", str(out_csv)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["status_counts"] == {"utilisable": 2, "ionically_isolated": 1,
                                  "electronically_isolated": 1, "dead": 1}
    assert d["axis"] == "x" and d["connectivity"] == 6
    assert len(out_csv.read_text().splitlines()) == 6


def test_cli_table_and_options(ti_cpu, tmp_path, capsys):
    f = tmp_path / "s.mcath"
    io.save(designed(), f)
    assert main(["analyze", str(f), "--connectivity", "26", "--electronic", "carbon"]) == 0
    text = capsys.readouterr().out
    assert "utilisable" in text and "26-connectivity" in text and "TPB" in text


def test_cli_errors(ti_cpu, tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "missing.mcath")]) == 2
    assert "does not exist" in capsys.readouterr().err
    ms = designed()
    lab = ms.labels.copy()
    lab[lab == 1] = 2  # no active material left
    f = tmp_path / "noam.mcath"
    io.save(Microstructure(lab, 1e-6, PHASES), f)
    assert main(["analyze", str(f)]) == 2
    assert "no active material" in capsys.readouterr().err
    assert main(["analyze", str(f), "--connectivity", "7"]) == 2
