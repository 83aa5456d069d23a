"""The editors on both forms of the Agent's ``datadog.yaml.example``, byte for byte.

2025: rendered from ``config_template.yaml`` (unquoted values, ``# site: datadoghq.com``,
the ``fips`` children commented at two spaces: ``  # enabled: false``); read from the
shared fixtures. 2026: generated from the Agent schema (quoted values, ``# site:
"datadoghq.com"``, the whole ``fips`` block commented at column 0: ``#   enabled:
false``); kept in ``tests/fixtures`` (source and commit in its README), so these run
everywhere. Every expectation is the example with exactly the named lines replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, NamedTuple

import pytest

from fipsconf.datadog_yaml import FipsRequest, edit_datadog_yaml, template_slots
from fipsconf.logs_config import enable_logs
from fipsconf.new_host import settings_from_environment
from fipsconf.yamldoc import parse_yaml
from installer.install import new_datadog_yaml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EXAMPLE_2026 = FIXTURES / "datadog-agent" / "datadog-agent_linux.yaml.example"
KEY = "0123456789abcdef0123456789abcdef"


class Form(NamedTuple):
    """One example form and how its documented lines are spelled."""

    name: str
    text: str
    site: str  # the commented site line
    logs: str  # the commented logs_enabled line
    hostname: str
    env: str


def form_2025(shared_fixture: Callable[[str], Path]) -> Form:
    text = shared_fixture("datadog-agent/datadog.yaml.example").read_text(encoding="utf-8")
    return Form(
        "2025",
        text,
        "# site: datadoghq.com",
        "# logs_enabled: false",
        "# hostname: <HOSTNAME_NAME>",
        "# env: <environment name>",
    )


def form_2026() -> Form:
    return Form(
        "2026",
        EXAMPLE_2026.read_text(encoding="utf-8"),
        '# site: "datadoghq.com"',
        "# logs_enabled: false",
        "# hostname: <HOSTNAME_NAME>",
        "# env: <environment name>",
    )


@pytest.fixture(params=["2025", "2026"])
def form(request: pytest.FixtureRequest, shared_fixture: Callable[[str], Path]) -> Form:
    return form_2025(shared_fixture) if request.param == "2025" else form_2026()


def replaced(text: str, *pairs: tuple[str, str]) -> str:
    """``text`` with whole lines replaced: each ``old`` line, the first one after the
    previous pair's (so ``#   enabled: false`` is the one in the ``fips`` block)."""
    lines = text.split("\n")
    at = 0
    for old, new in pairs:
        at = lines.index(old, at)
        lines[at] = new
    return "\n".join(lines)


def fips_line(text: str, key: str) -> int:
    """The index of the live ``fips`` block's ``key`` line."""
    lines = text.split("\n")
    return next(
        i for i in range(lines.index("fips:"), len(lines)) if lines[i].startswith(f"  {key}:")
    )


#: The lines enabling replaces, per form.
FIPS_ON = {
    "2025": [("# fips:", "fips:\n  enabled: true\n  https: false")],
    "2026": [("# fips:", "fips:"), ("#   enabled: false", "  enabled: true\n  https: false")],
}


def operator_file(form: Form) -> str:
    """The example as an install leaves it: api_key and site set."""
    return replaced(form.text, ("api_key:", f"api_key: {KEY}"), (form.site, "site: ddog-gov.com"))


def enable(text: str, **request: object) -> str:
    return edit_datadog_yaml(parse_yaml(text), FipsRequest(**request)).result.text  # type: ignore[arg-type]


def test_the_2026_example_is_the_vendors_file() -> None:
    text = EXAMPLE_2026.read_bytes()
    assert len(text.decode("utf-8")) == 222064 and text.count(b"\n") == 4764
    assert parse_yaml(text.decode()).data == {"api_key": None}  # one live key, as in 2025
    assert b'\n# site: "datadoghq.com"\n' in text and b"\n#   enabled: false\n" in text


def test_enable_on_the_2025_form_puts_the_block_on_the_fips_line(
    shared_fixture: Callable[[str], Path],
) -> None:
    before = operator_file(form_2025(shared_fixture))
    after = enable(before)
    assert after == replaced(before, *FIPS_ON["2025"])


def test_enable_on_the_2026_form_uncomments_the_block_in_place() -> None:
    before = operator_file(form_2026())
    after = enable(before)
    # the parent line, and the child's own commented line; https (undocumented there)
    # right after it; every documentation line stays, byte for byte
    assert after == replaced(before, *FIPS_ON["2026"])
    assert parse_yaml(after).data["fips"] == {"enabled": True, "https": False}
    assert enable(after) == after  # a second run changes nothing


def test_the_2026_local_address_line_is_uncommented_in_place() -> None:
    before = operator_file(form_2026())
    after = enable(before, local_address="127.0.0.1", port_range_start=9903)
    assert after == replaced(
        before,
        ("# fips:", "fips:"),
        (
            "#   enabled: false",
            "  enabled: true\n  https: false\n  port_range_start: 9903",
        ),
        ('#   local_address: "localhost"', '  local_address: "127.0.0.1"'),
    )


def test_disable_then_enable_round_trips_on_both_forms(form: Form) -> None:
    enabled = enable(operator_file(form))
    disabled = enable(enabled, enabled=False)
    lines = enabled.split("\n")
    lines[fips_line(enabled, "enabled")] = "  enabled: false"
    assert disabled == "\n".join(lines)
    assert enable(disabled) == enabled


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_the_2026_form_keeps_its_line_endings_and_bom(newline: str) -> None:
    before = "\ufeff" + operator_file(form_2026()).replace("\n", newline)
    after = enable(before)
    expected = enable(operator_file(form_2026()))
    assert after == "\ufeff" + expected.replace("\n", newline)


def test_disabling_a_2026_file_that_never_had_the_block_changes_nothing() -> None:
    before = operator_file(form_2026())
    assert enable(before, enabled=False) == before


def test_install_fills_the_documented_lines_of_both_forms(form: Form) -> None:
    settings = settings_from_environment(
        {
            "DD_API_KEY": KEY,
            "DD_FIPS_MODE": "1",
            "DD_HOSTNAME": "web-1",
            "DD_ENV": "prod",
        }
    )
    written = new_datadog_yaml(form.text, settings)
    assert written == replaced(
        form.text,
        ("api_key:", f"api_key: {KEY}"),
        (form.site, "site: ddog-gov.com"),
        (form.hostname, "hostname: web-1"),
        (form.env, "env: prod"),
    )
    # enable's edit on top of it: the fips lines alone, as on an operator's file
    assert enable(written) == replaced(written, *FIPS_ON[form.name])


def test_logs_enable_uncomments_logs_enabled_on_both_forms(form: Form) -> None:
    before = operator_file(form)
    doc = parse_yaml(before)
    after = enable_logs(doc, template_slots(doc, ["logs_enabled"])).text
    assert after == replaced(before, (form.logs, "logs_enabled: true"))
