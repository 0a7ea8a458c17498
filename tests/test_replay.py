"""`lists replay`: a list's versions imported in publication order, from folders, archives and files.

Small hand-made sdn.csv versions here; the real three-year OFAC stream is in test_replay_real.py.
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from proscribe.cli.app import app
from proscribe.sources.history import discover, read_versions


def _row(ent: int, name: str, program: str = "SDGT", remarks: str = "-0- ") -> str:
    empty = ",".join(['"-0- "'] * 7)
    return f'{ent},"{name}","individual","{program}",{empty},"{remarks}"\r\n'


#: listings on every version (one delisting in a short list would trip the mass-delisting guard)
BASE = "".join(_row(n, f"STAYING, Person{n}", "CUBA") for n in range(20, 40))
#: three versions: 22 listings, then 3 added and 1 changed, then 1 removed
V1 = _row(10, "ONE, Person") + _row(11, "TWO, Person") + BASE
V2 = (
    V1.replace("SDGT", "SDGT] [IRGC", 1)
    + _row(12, "THREE, Person")
    + _row(13, "FOUR, Person")
    + _row(14, "FIVE, Person")
)
V3 = V2.split("\r\n", 1)[1]


def _files(folder: Path) -> list[tuple[str, bytes]]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        ("sdn-2022-02-24T015220Z.csv", (V1 + "\x1a").encode()),
        ("sdn-2022-02-26T014201Z.csv", V2.encode()),
        ("sdn-2022-03-01T184726Z.csv", V3.encode()),
        ("sdn-2022-03-04T020313Z.csv", b""),  # a failed capture: an empty file
    ]


@pytest.fixture()
def cli(tmp_path: Path) -> CliRunner:
    return CliRunner(env={"PROSCRIBE_DB": f"sqlite:///{tmp_path / 'cli.db'}"})


def run(cli: CliRunner, *args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_folder_replayed_in_order_empty_capture_refused(cli: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "hist"
    for name, data in _files(folder):
        (folder / name).write_bytes(data)
    code, out, err = run(cli, "lists", "replay", str(folder))
    assert code == 1  # one version was refused
    lines = out.splitlines()
    assert lines[0] == (
        "2022-02-24 01:52  sdn-2022-02-24T015220Z.csv: "
        "version 1: 22 listings (+22 added, 0 changed, -0 removed)"
    )
    assert lines[1].endswith("version 2: 25 listings (+3 added, 1 changed, -0 removed)")
    assert lines[2].endswith("version 3: 24 listings (+0 added, 0 changed, -1 removed)")
    assert (
        "1 refused (sdn-2022-03-04T020313Z.csv)" in lines[3] and "24 listings in force, version 3" in lines[3]
    )
    assert err.count("refused:") == 1 and "sdn-2022-03-04T020313Z.csv: the file holds no records" in err

    code, out, _ = run(cli, "lists", "history", "ofac", "--json")
    hist = json.loads(out)
    assert [(h["version"], h["as_of"], h["added"], h["changed"], h["removed"]) for h in hist] == [
        (1, "2022-02-24", 22, 0, 0),
        (2, "2022-02-26", 3, 1, 0),
        (3, "2022-03-01", 0, 0, 1),
    ]
    assert hist[0]["published_at"] == "2022-02-24T01:52:20+00:00" and hist[0]["date_known"]

    # as of each day: what the file in force that day said
    def designated(day: str, ent: str) -> bool:
        code, out, err = run(cli, "entity", "show", "us_ofac_sdn", ent, "--as-of", day, "--json")
        assert code == 0, err
        return bool(json.loads(out)["designated"])

    assert not designated("2022-02-23", "10") and designated("2022-02-24", "10")
    assert designated("2022-02-28", "10") and not designated("2022-03-01", "10")
    assert (
        not designated("2022-02-25", "12")
        and designated("2022-02-26", "12")
        and designated("2022-03-05", "12")
    )

    code, out, _ = run(cli, "lists", "diff", "us_ofac_sdn", "1", "3", "--json")
    d = json.loads(out)
    assert [a["source_id"] for a in d["added"]] == ["12", "13", "14"]
    assert [r["source_id"] for r in d["removed"]] == ["10"]
    assert d["changed"] == []  # 10 changed, then went
    code, out, _ = run(cli, "lists", "diff", "us_ofac_sdn", "1", "2")
    assert out.splitlines()[0] == (
        "us_ofac_sdn: version 1 (2022-02-24) to version 2 (2022-02-26): 3 added, 0 removed, 1 changed"
    )
    assert "~ 10  Person ONE: Sanction: Program, Sanction: Program ID, Program, Program ID" in out
    code, _, err = run(cli, "lists", "diff", "us_ofac_sdn", "1", "9")
    assert code == 1 and "has no version 9 (its versions are 1 to 3)" in err


def _tar(path: Path, mode: str, files: list[tuple[str, bytes]], index: str | None = None) -> None:
    with tarfile.open(path, mode) as tf:
        members = list(reversed(files))  # not in publication order, as the real archive is not
        if index is not None:
            members.append(("hist/index.csv", index.encode()))
        for name, data in members:
            info = tarfile.TarInfo(name if "/" in name else f"hist/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def test_archives_read_in_memory_in_publication_order(tmp_path: Path) -> None:
    files = _files(tmp_path / "src")
    expected = [n for n, _ in files]
    for suffix, mode in ((".tar.gz", "w:gz"), (".tar.xz", "w:xz"), (".tar", "w")):
        archive = tmp_path / f"hist{suffix}"
        _tar(archive, mode, files)
        versions = discover([archive])
        assert [v.name for v in versions] == expected
        assert all(v.date_source == "file name" and v.timed for v in versions)
        # a budget smaller than one file: one pass per version, still in order and whole
        read = [(v.name, data) for v, data in read_versions(versions, budget=10)]
        assert read == files
    archive = tmp_path / "hist.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in reversed(files):
            zf.writestr(f"hist/{name}", data)
    assert [(v.name, d) for v, d in read_versions(discover([archive]))] == files
    assert not list((tmp_path).glob("hist/*"))  # nothing unpacked beside the archives


def test_index_csv_wins_over_file_names(tmp_path: Path) -> None:
    files = [("b.csv", V1.encode()), ("a.csv", V2.encode())]
    index = (
        "file,published_utc,entries,bytes\nb.csv,2022-01-02T10:00:00Z,2,0\na.csv,2022-01-03T09:00:00Z,5,0\n"
    )
    archive = tmp_path / "h.tar.xz"
    _tar(archive, "w:xz", files, index)
    versions = discover([archive])
    assert [(v.name, v.as_of.isoformat() if v.as_of else None, v.date_source) for v in versions] == [
        ("b.csv", "2022-01-02", "index.csv"),
        ("a.csv", "2022-01-03", "index.csv"),
    ]
    # an index.csv beside an archive (as ofac-sdn-history/ has) counts too
    bare = tmp_path / "bare"
    bare.mkdir()
    _tar(bare / "h.tar.gz", "w:gz", files)
    (bare / "index.csv").write_text(index)
    assert [v.date_source for v in discover([bare / "h.tar.gz"])] == ["index.csv", "index.csv"]


def test_undated_files_need_as_of(cli: CliRunner, tmp_path: Path) -> None:
    one = tmp_path / "one" / "capture.csv"
    one.parent.mkdir()
    one.write_text(V1)
    code, _, err = run(cli, "lists", "replay", str(one))
    assert code == 1 and "capture.csv: no publication date" in err and "--as-of" in err
    code, out, err = run(cli, "lists", "replay", str(one), "--as-of", "2022-01-05")
    assert code == 0, err
    assert "2022-01-05  capture.csv: version 1: 22 listings" in out


def test_single_sdn_csv_without_alt_or_add_imports(cli: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "only"
    folder.mkdir()
    (folder / "sdn.csv").write_text(V2)
    code, out, err = run(cli, "lists", "import", str(folder / "sdn.csv"), "--as-of", "2022-02-26")
    assert code == 0, err
    assert (
        out.strip()
        == "us_ofac_sdn: version 1 as of 2022-02-26: 25 listings (+25 added, 0 changed, -0 delisted)"
    )
    # a dated capture is an sdn.csv too
    capture = folder / "sdn-2022-03-01T184726Z.csv"
    capture.write_text(V3)
    code, out, err = run(cli, "lists", "import", str(capture), "--as-of", "2022-03-01")
    assert code == 0, err
    assert "version 2 as of 2022-03-01: 24 listings" in out
