"""What a user receives points nowhere outside the repository."""

from __future__ import annotations

from tests.conftest import REPO

#: What ships or is read by users: the README, the documents, the code, the scripts.
SHIPPED = ("README.md", "docs", "installer", "fipsconf", "scripts")


def test_nothing_shipped_links_to_the_shared_folder() -> None:
    found = []
    for top in SHIPPED:
        start = REPO / top
        for path in sorted(start.rglob("*")) if start.is_dir() else [start]:
            if path.suffix not in (".md", ".py", ".sh", ".yml", ".yaml", ".cfg", ".ini"):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if "../shared" in line or "shared/research" in line:
                    found.append(f"{path.relative_to(REPO)}:{number}")
    assert found == []


def test_ansible_md_names_no_release_number() -> None:
    text = (REPO / "docs" / "ansible.md").read_text(encoding="utf-8")
    assert "fips_setup-datadog-0." not in text and "fips_setup-datadog-<version>.tar.gz" in text
