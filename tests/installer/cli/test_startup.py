"""``configure`` loads only what it needs: the start-up is most of its 100 ms (DESIGN section 8).

A whole process runs the commonest automation call on the vendor's
3,685-line example and lists the heavy modules it loaded. None of Typer,
rich, requests or distro (the fast path keeps them out), nor ruamel.yaml
(the fast reader reads a plain datadog.yaml alone), nor what runs other
programs (subprocess; a dry run runs none). Nor a call of compile(): its
first call sets up the compiler (13 million instructions, a sixth of the
run); typing makes one for each quoted annotation of a NamedTuple field
(``from __future__ import annotations`` quotes them all), so the fast
path's modules that define NamedTuples do without it. How long it takes:
``make bench``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.real_processes

HEAVY = ("typer", "click", "rich", "requests", "distro", "ruamel", "subprocess", "dataclasses")
PROBE = f"""
import builtins, sys
compiled = []
real_compile = builtins.compile
def recorded(source, filename, mode, *args, **kwargs):
    if mode == "eval":  # typing's, not the import system's (a module without its .pyc)
        compiled.append(str(source)[:40])
    return real_compile(source, filename, mode, *args, **kwargs)
builtins.compile = recorded
from installer.cli.main import main
status = main(sys.argv[1:])
heavy = sorted({{name.split(".")[0] for name in sys.modules}} & set({HEAVY!r}))
print(json.dumps(heavy + [f"compile({{source}})" for source in compiled]), file=sys.stderr)
sys.exit(status)
"""


def modules_loaded(*args: str) -> tuple[list[str], dict[str, object]]:
    """The heavy modules a ``fips-setup`` process loaded for ``args``, and its JSON document."""
    result = subprocess.run(
        [sys.executable, "-c", "import json\n" + PROBE, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stderr.splitlines()[-1]), json.loads(result.stdout)


def test_configure_on_the_vendor_example_loads_nothing_heavy(
    shared_fixture: Callable[[str], Path], tmp_path: Path
) -> None:
    config = tmp_path / "datadog.yaml"
    config.write_bytes(shared_fixture("datadog-agent/datadog.yaml.example").read_bytes())
    heavy, document = modules_loaded("configure", "--config", str(config), "--dry-run", "--json")
    assert document["changed"] is True and document["failed"] is False
    assert heavy == []


def test_a_document_only_ruamel_reads_still_reads(tmp_path: Path) -> None:
    config = tmp_path / "datadog.yaml"
    config.write_text("site: ddog-gov.com\ntags: !!set {a, b}\n")
    heavy, document = modules_loaded("configure", "--config", str(config), "--dry-run", "--json")
    assert document["changed"] is True
    assert "ruamel" in heavy


def test_configure_on_the_2026_example_loads_nothing_heavy(tmp_path: Path) -> None:
    # The schema-generated example quotes its values: the fast reader still reads it.
    config = tmp_path / "datadog.yaml"
    example = REPO / "tests/fixtures/datadog-agent/datadog-agent_linux.yaml.example"
    config.write_bytes(example.read_bytes())
    heavy, document = modules_loaded("configure", "--config", str(config), "--dry-run", "--json")
    assert document["changed"] is True and document["failed"] is False
    assert heavy == []
