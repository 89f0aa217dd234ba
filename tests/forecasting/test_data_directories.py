"""A bad file in ``data.directories`` is reported and skipped; the service goes on."""

from __future__ import annotations

from pathlib import Path

import pytest


def _configure(project: Path, *folders: str) -> None:
    path = project / "configs" / "forecasting.toml"
    listed = ", ".join(f'"{f}"' for f in folders)
    path.write_text(path.read_text().replace("directories = []", f"directories = [{listed}]"))


@pytest.fixture
def feeds(project: Path) -> Path:
    folder = project / "feeds"
    folder.mkdir()
    (folder / "cn_pmi_manufacturing.csv").write_text(
        "period,value,unit,source\n2026-09,49.8,index,NBS\n2026-10,50.1,index,NBS\n"
    )
    (folder / "kr_exports_first20d_yoy.csv").write_text(
        "period,value,unit,source\n2026-10,1_0,% y/y,KCS\n"
    )
    (folder / "tw_exports_yoy.csv").write_bytes(b"period,value,unit,source\n2026-10,\xff,%,x\n")
    (folder / "notes.csv").write_text("not,a,series\n")  # not named after a series: left alone
    _configure(project, "feeds", "missing")
    return folder


def test_bad_files_become_warnings_and_the_rest_is_imported(project: Path, feeds: Path) -> None:
    from forecasting.config import load_settings
    from forecasting.service import open_service

    svc = open_service(load_settings())
    # (the first open also reports the bundled balance that disagrees with its levels)
    dirs = [w for w in svc.warnings if w.startswith("data.directories")]
    assert len(dirs) == 3
    first20d, tw, missing = dirs
    assert str(feeds / "kr_exports_first20d_yoy.csv") in first20d and "'1_0'" in first20d
    assert str(feeds / "tw_exports_yoy.csv") in tw and "not UTF-8" in tw
    assert "missing" in missing and "not a folder" in missing
    assert all("\n" not in w for w in svc.warnings)
    pmi = svc.observations.frame().query("series == 'cn_pmi_manufacturing'")
    assert sorted(pmi["period"]) == ["2026-09", "2026-10"]
    assert svc.observations.frame().query("series == 'kr_exports_first20d_yoy'").empty

    # the next start warns again about what is still bad, and imports a file once fixed
    (feeds / "kr_exports_first20d_yoy.csv").write_text(
        "period,value,unit,source\n2026-10,10.0,% y/y,KCS\n"
    )
    again = open_service(load_settings())
    assert len([w for w in again.warnings if w.startswith("data.directories")]) == 2
    assert len(again.observations.frame().query("series == 'kr_exports_first20d_yoy'")) == 1
    assert len(again.observations.frame().query("series == 'cn_pmi_manufacturing'")) == 2
