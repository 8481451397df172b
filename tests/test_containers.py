"""Archives (zip, tar and compressed tars) read as the folders they were made from."""

from __future__ import annotations

import io
import stat
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest

import cleaner
from cleaner.formats import rejects_path
from cleaner.sources import listing
from tests.conftest import FIXTURES
from tests.packed import pack

TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar.zst")


def folder_files() -> dict[str, bytes]:
    """The fixture folder's files, and copies that make duplicates and a compressed member."""
    files = {f"news/{p.name}": p.read_bytes() for p in sorted(FIXTURES.iterdir())}
    files["news/later/copy-of-000.txt"] = files["news/000_2fcd4aba767f3dc8.txt"]
    files["news/a-b/004_feed.jsonl.gz"] = pack(".gz", files["news/004_feed.jsonl"])
    files["news/page"] = files["news/010_harbour_bridge.html"]  # no extension: sniffed
    return files


def write_folder(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root / "news"


def write_zip(path: Path, files: dict[str, bytes | None], **info: int) -> Path:
    """A zip of ``files`` (None: a folder entry) in the reverse of path order, as a zip tool
    that stores them in the order it found them may."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items(), reverse=True):
            entry = zipfile.ZipInfo(name + ("/" if data is None else ""))
            for key, value in info.items():
                setattr(entry, key, value)
            archive.writestr(entry, data or b"", zipfile.ZIP_DEFLATED)
    return path


def says_encrypted(path: Path, name: str) -> None:
    """Set a zip member's "encrypted" flag, which Python's zipfile cannot write, in its
    local header and its directory entry."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(name).header_offset
    central = data.index(b"PK\x01\x02", data.index(name.encode(), local + 30 + len(name)) - 46)
    data[local + 6] |= 1
    data[central + 8] |= 1
    path.write_bytes(bytes(data))


def tar_bytes(files: dict[str, bytes], extra: Sequence[tarfile.TarInfo] = ()) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in sorted(files.items()):
            entry = tarfile.TarInfo(name)
            entry.size = len(data)
            archive.addfile(entry, io.BytesIO(data))
        for entry in extra:
            archive.addfile(entry)
    return buffer.getvalue()


def write_tar(path: Path, files: dict[str, bytes], extra: Sequence[tarfile.TarInfo] = ()) -> Path:
    data = tar_bytes(files, extra)
    codec = {".tgz": ".gz"}.get(path.suffix, path.suffix)
    path.write_bytes(data if codec == ".tar" else pack(codec, data))
    return path


def run(inputs: list[Path], out: Path, workers: int = 1, **limits: int) -> cleaner.Report:
    options = cleaner.Options(**limits)
    return cleaner.clean([str(i) for i in inputs], out, options, engine=cleaner.LocalPool(workers))


def read(out: Path, prefix: str = "") -> tuple[pd.DataFrame, pd.DataFrame]:
    """A run's corpus and rejects, with ``prefix`` taken off the names."""
    corpus, rejects = pd.read_parquet(out), pd.read_parquet(rejects_path(out))
    for table in (corpus, rejects):
        for column in ("doc_id", "source", "repeats_doc", "duplicate_of", "detail"):
            if column in table and prefix:
                table[column] = table[column].str.replace(prefix, "", regex=False)
    corpus["removed"] = [
        [
            {**r, "repeats_doc": r["repeats_doc"] and r["repeats_doc"].removeprefix(prefix)}
            for r in rs
        ]
        for rs in corpus["removed"]
    ]
    return corpus, rejects


@pytest.mark.parametrize("suffix", [".zip", *TAR_SUFFIXES])
def test_an_archive_reads_as_the_folder_it_was_made_from(tmp_path: Path, suffix: str) -> None:
    files = folder_files()
    folder = write_folder(tmp_path / "plain", files)
    run([folder], tmp_path / "folder.parquet")
    archive = tmp_path / f"news{suffix}"
    write_zip(archive, dict(files)) if suffix == ".zip" else write_tar(archive, files)
    for workers in (1, 2):
        out = tmp_path / f"archive-{workers}.parquet"
        report = run([archive], out, workers)
        corpus, rejects = read(out, f"news{suffix}/")
        expected = read(tmp_path / "folder.parquet")
        assert report.documents_out > 10
        assert report.rejects["duplicate_document"] >= 1  # the copy of 000
        pd.testing.assert_frame_equal(corpus, expected[0])
        pd.testing.assert_frame_equal(rejects, expected[1])


def test_members_are_read_from_the_archive_whatever_their_names(tmp_path: Path) -> None:
    # Nothing is extracted: a member named like a local file is the archive's bytes.
    story = b"Story from the archive.\n\nIt has a second paragraph of its own.\n"
    names = ["../../etc/passwd.txt", "/etc/hostname.txt", "./a/./b.txt"]
    write_zip(tmp_path / "z.zip", dict.fromkeys(names, story))
    write_tar(tmp_path / "t.tar", dict.fromkeys(names, story))
    for archive in ("z.zip", "t.tar"):
        out = tmp_path / f"{archive}.parquet"
        run([tmp_path / archive], out)
        corpus, rejects = read(out)
        everything = pd.concat([corpus[["doc_id"]], rejects[["doc_id"]]])
        assert len(everything) == 3
        assert all(corpus.text.str.startswith("Story from the archive."))
        assert all(everything.doc_id.str.startswith(f"{archive}/"))


def test_what_an_archive_holds_that_is_not_read_is_a_reject(tmp_path: Path) -> None:
    story = (FIXTURES / "000_2fcd4aba767f3dc8.txt").read_bytes()
    inner = write_zip(tmp_path / "inner.zip", {"a.txt": story}).read_bytes()
    write_zip(tmp_path / "z.zip", {"ok.txt": story, "inner.zip": inner, "x.docx": b"PK"})
    with zipfile.ZipFile(tmp_path / "z.zip", "a") as archive:
        link = zipfile.ZipInfo("link.txt")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("secret.txt", b"Not really encrypted: its flag says it is.")
    says_encrypted(tmp_path / "z.zip", "secret.txt")
    links = []
    for kind, target in ((tarfile.SYMTYPE, "/etc/passwd"), (tarfile.LNKTYPE, "ok.txt")):
        entry = tarfile.TarInfo(f"link-{kind.decode()}.txt")
        entry.type, entry.linkname = kind, target
        links.append(entry)
    device = tarfile.TarInfo("dev.txt")
    device.type = tarfile.CHRTYPE
    other = (FIXTURES / "002_edited_repeat.txt").read_bytes()
    write_tar(tmp_path / "t.tar.gz", {"ok.txt": other, "inner.zip": inner}, [*links, device])
    report = run([tmp_path / "z.zip", tmp_path / "t.tar.gz"], tmp_path / "out.parquet")
    corpus, rejects = read(tmp_path / "out.parquet")
    assert sorted(corpus.doc_id) == ["t.tar.gz/ok.txt", "z.zip/ok.txt"]
    assert dict(zip(rejects.doc_id, rejects.reason, strict=True)) == {
        "z.zip/inner.zip": "unsupported",
        "z.zip/x.docx": "unsupported",
        "z.zip/link.txt": "link_inside_input",
        "z.zip/secret.txt": "unreadable",
        "t.tar.gz/inner.zip": "unsupported",
        "t.tar.gz/link-2.txt": "link_inside_input",
        "t.tar.gz/link-1.txt": "link_inside_input",
        "t.tar.gz/dev.txt": "unsupported",
    }
    assert "/etc/passwd" not in " ".join(rejects.detail)
    assert "archive inside an archive" in rejects.detail[rejects.doc_id == "z.zip/inner.zip"].item()
    assert report.skipped == {".zip": 2, ".docx": 1}


def test_a_tar_cut_short_keeps_the_members_before_the_cut(tmp_path: Path) -> None:
    files = {f"n/{i:03}.txt": b"Story %d, told once in this archive.\n" % i * 40 for i in range(60)}
    for suffix, reason in ((".tar", "bad_tar"), (".tar.gz", "bad_gzip"), (".tar.xz", "bad_xz")):
        whole = write_tar(tmp_path / f"whole{suffix}", files).read_bytes()
        cut = tmp_path / f"cut{suffix}"
        cut.write_bytes(whole[: len(whole) // 2])
        run([cut], tmp_path / f"cut{suffix}.parquet")
        corpus, rejects = read(tmp_path / f"cut{suffix}.parquet", f"cut{suffix}/")
        kept = list(corpus.doc_id)
        assert 10 < len(kept) < 60
        assert kept == sorted(files)[: len(kept)]
        (damage,) = rejects.itertuples()
        assert damage.reason == reason
        assert damage.doc_id == f"cut{suffix}"
        # the last member named is the last kept, or the one the cut went through
        last = damage.detail.rpartition("the members after ")[2].split()[0]
        assert last in (kept[-1], sorted(files)[len(kept)])


def test_a_damaged_zip_member_costs_that_member_only(tmp_path: Path) -> None:
    files = {f"{i}.txt": b"Story %d, told once in this zip archive.\n" % i * 40 for i in range(5)}
    data = bytearray(write_zip(tmp_path / "z.zip", dict(files)).read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("2.txt")
    start = info.header_offset + 30 + len(info.filename)  # the member's deflated bytes
    data[start + 5 : start + 15] = bytes(10)
    (tmp_path / "z.zip").write_bytes(bytes(data))
    (tmp_path / "not.zip").write_bytes(b"not a zip at all")
    run([tmp_path / "z.zip", tmp_path / "not.zip"], tmp_path / "out.parquet")
    corpus, rejects = read(tmp_path / "out.parquet")
    assert sorted(corpus.doc_id) == [f"z.zip/{i}.txt" for i in (0, 1, 3, 4)]
    assert sorted(zip(rejects.doc_id, rejects.reason, strict=True)) == [
        ("not.zip", "bad_zip"),
        ("z.zip/2.txt", "bad_zip"),
    ]


def test_an_archives_limits_are_a_files(tmp_path: Path) -> None:
    story = b"A story of its own, number %d, with a second sentence.\n"
    files = {f"{i:02}.txt": story % i * 30 for i in range(10)}
    files["05.txt"] = b"Large. " * 2000  # 14 kB: over the file limit below
    limits = {"max_file_bytes": 10_000, "max_decompressed_bytes": 1 << 30}
    write_zip(tmp_path / "z.zip", dict(files))
    write_tar(tmp_path / "t.tar.gz", files)
    run([tmp_path / "z.zip", tmp_path / "t.tar.gz"], tmp_path / "big.parquet", **limits)
    corpus, rejects = read(tmp_path / "big.parquet")
    assert len(corpus) == 9  # the same 9 in both: the tar's are duplicates
    assert sorted(zip(rejects.doc_id, rejects.reason, strict=True)) == sorted(
        [
            *[(f"t.tar.gz/{i:02}.txt", "duplicate_document") for i in range(10) if i != 5],
            ("t.tar.gz/05.txt", "too_large"),
            ("z.zip/05.txt", "too_large"),
        ]
    )
    # Together they may expand to the decompressed limit: the members after it are lost.
    limits = {"max_file_bytes": 10_000, "max_decompressed_bytes": 4 * len(files["00.txt"])}
    del files["05.txt"]
    write_zip(tmp_path / "z.zip", dict(files))
    write_tar(tmp_path / "t.tar.gz", files)
    write_tar(tmp_path / "t.tar", files)
    for name in ("z.zip", "t.tar.gz", "t.tar"):
        out = tmp_path / f"{name}.parquet"
        run([tmp_path / name], out, **limits)
        corpus, rejects = read(out, f"{name}/")
        if name == "t.tar":  # not compressed: as the files of a folder, no such limit
            assert len(corpus) == 9 and rejects.empty
            continue
        assert list(corpus.doc_id) == ["00.txt", "01.txt", "02.txt", "03.txt"]
        (spent,) = rejects.itertuples()
        assert (spent.doc_id, spent.reason) == (name, "too_large_decompressed")
        assert spent.detail.endswith("the members after 03.txt are not read")


def test_a_tar_that_holds_a_name_twice_keeps_both(tmp_path: Path) -> None:
    # tar -r appends a newer version under the same name
    versions = [
        b"The first version of the story, as it was scraped on Monday.\n",
        b"An entirely different text about the weather in Oslo.\n",
    ]
    with tarfile.open(tmp_path / "t.tar", "w") as archive:
        for data in versions:
            entry = tarfile.TarInfo("a.txt")
            entry.size = len(data)
            archive.addfile(entry, io.BytesIO(data))
    run([tmp_path / "t.tar"], tmp_path / "out.parquet")
    corpus, _ = read(tmp_path / "out.parquet")
    assert list(corpus.doc_id) == ["t.tar/a.txt", "t.tar/a.txt@2"]


def test_a_listing_names_an_archive_once(tmp_path: Path) -> None:
    write_zip(tmp_path / "news.zip", {"a.txt": b"A story.", "b.txt": b"Another."})
    lines = listing([str(tmp_path)]).splitlines()
    assert len(lines) == 1 and lines[0].endswith('"' + f"{tmp_path.name}/news.zip" + '"')


def test_the_command_line_reads_a_zip(tmp_path: Path) -> None:
    write_zip(
        tmp_path / "news.zip", {"bbc/a.txt": (FIXTURES / "000_2fcd4aba767f3dc8.txt").read_bytes()}
    )
    done = subprocess.run(
        [sys.executable, "-m", "cleaner", "clean", "news.zip", "-o", "out.parquet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert list(pd.read_parquet(tmp_path / "out.parquet").doc_id) == ["news.zip/bbc/a.txt"]
