"""Retention of `<data-dir>/uploads/` (issue 11, case 4): the raw files of the last N jobs stay, older ones
go, and a job that fetched nothing leaves no empty folder."""

from __future__ import annotations

from pathlib import Path

from support.simulator_client import row, running

from simulator.job import Limits


def test_only_the_last_jobs_raw_files_stay_and_no_folder_is_empty(tmp_path: Path) -> None:
    with running(tmp_path / "sim", limits=Limits(keep_uploads=2)) as client:
        names = {}
        for n in range(4):
            name = client.drop_feed([row(f"S{n}", f"G{n}")])
            names[client.run()["id"]] = name
        assert client.run()["files"] == []  # a re-alert: nothing new, nothing kept
        uploads = tmp_path / "sim" / "uploads"
        kept = sorted(uploads.iterdir(), key=lambda folder: int(folder.name))
        newest = sorted(names, key=int)[-2:]
        assert [folder.name for folder in kept] == newest
        assert [[f.name for f in folder.iterdir()] for folder in kept] == [[names[job]] for job in newest]
