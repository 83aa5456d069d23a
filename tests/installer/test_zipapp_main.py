"""The zipapp's start: unpack once into a private cache, never into a shared folder."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from installer import zipapp_main


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "fips-setup.pyz"
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("__main__.py", "")
        bundle.writestr("installer/__init__.py", "")
        bundle.writestr("pygments/__init__.py", "")
    monkeypatch.setattr(zipapp_main, "_cache_root", lambda: str(tmp_path / "cache"))
    return path


def test_unpacks_once_into_a_private_folder(archive: Path, tmp_path: Path) -> None:
    folder = zipapp_main._unpacked(str(archive))
    assert folder is not None
    assert (Path(folder) / "installer" / "__init__.py").is_file()
    assert not (Path(folder) / "pygments").exists()  # left in the archive
    assert oct(os.stat(tmp_path / "cache").st_mode & 0o777) == "0o700"
    marker = Path(folder) / ".complete"
    stamp = marker.stat().st_mtime_ns
    assert zipapp_main._unpacked(str(archive)) == folder
    assert marker.stat().st_mtime_ns == stamp  # not unpacked again


def test_a_folder_others_may_write_is_not_used(archive: Path, tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir(mode=0o700)
    (tmp_path / "cache").chmod(0o777)
    assert zipapp_main._unpacked(str(archive)) is None


def test_another_version_replaces_the_old_folder(archive: Path, tmp_path: Path) -> None:
    first = zipapp_main._unpacked(str(archive))
    with zipfile.ZipFile(archive, "a") as bundle:
        bundle.writestr("fipsconf/__init__.py", "")
    second = zipapp_main._unpacked(str(archive))
    assert second != first and second is not None
    assert not Path(str(first)).exists()
