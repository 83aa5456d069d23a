"""The ECS editor across layouts: whatever the input looks like, the result
means the same definition, a second run changes nothing, and containers the
edit does not touch keep their exact text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from fipsconf.ecs_taskdef import EcsRequest, edit_task_definition, parse_task_definition

GOLDEN = Path(__file__).parent / "golden_ecs"
SOURCES = [
    "describe-output-fargate",
    "ec2-daemon-task",
    "sidecar-exists-outdated",
    "fips-agent-proxied-depends-on",
    "fips-agent-bridge-links",
    "container-definitions-proxy",
    "container-definitions-fips-agent",
    "cloudformation-proxy",
    "cloudformation-fips-agent",
]


def request_of(name: str) -> EcsRequest:
    return EcsRequest(**json.loads((GOLDEN / name / "request.json").read_text()))


def leaves_inline(data: Any, indent: int, level: int = 0) -> str:
    """Multi-line JSON where every flat object or array sits on one line."""
    pad, inner = " " * indent * level, " " * indent * (level + 1)
    if isinstance(data, dict) and any(isinstance(v, (dict, list)) for v in data.values()):
        body = ",\n".join(
            f"{inner}{json.dumps(k)}: {leaves_inline(v, indent, level + 1)}"
            for k, v in data.items()
        )
        return "{\n" + body + "\n" + pad + "}"
    if isinstance(data, list) and any(isinstance(v, (dict, list)) for v in data):
        body = ",\n".join(inner + leaves_inline(v, indent, level + 1) for v in data)
        return "[\n" + body + "\n" + pad + "]"
    return json.dumps(data)


LAYOUTS: dict[str, Callable[[Any], str]] = {
    "indent-2": lambda d: json.dumps(d, indent=2) + "\n",
    "indent-3-no-final-newline": lambda d: json.dumps(d, indent=3),
    "tabs": lambda d: json.dumps(d, indent="\t") + "\n",
    "crlf": lambda d: json.dumps(d, indent=4).replace("\n", "\r\n") + "\r\n",
    "one-line": lambda d: json.dumps(d),
    "compact": lambda d: json.dumps(d, separators=(",", ":")),
    "leaves-inline": lambda d: leaves_inline(d, 2) + "\n",
    "leaves-inline-crlf-bom": lambda d: "\ufeff" + leaves_inline(d, 4).replace("\n", "\r\n"),
    "ascii-escapes": lambda d: json.dumps(d, indent=2, ensure_ascii=True) + "\n",
}


def canonical(name: str) -> Any:
    edit = edit_task_definition(
        parse_task_definition((GOLDEN / name / "input.json").read_text()), request_of(name)
    )
    return edit.data


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("source", SOURCES)
def test_every_layout_gives_the_same_definition(source: str, layout: str) -> None:
    data = json.loads((GOLDEN / source / "input.json").read_text())
    text = LAYOUTS[layout](data)
    edit = edit_task_definition(parse_task_definition(text), request_of(source))
    assert json.loads(edit.text.lstrip("\ufeff")) == canonical(source)
    assert edit.text.startswith("\ufeff") == text.startswith("\ufeff")
    assert edit.text.endswith("\n") == text.endswith("\n")
    assert ("\r\n" in edit.text) == ("\r\n" in text)
    if text.isascii():
        assert edit.text.isascii()
    again = edit_task_definition(parse_task_definition(edit.text), request_of(source))
    assert not again.changed and again.text == edit.text


@pytest.mark.parametrize("layout", ["indent-2", "tabs", "crlf", "leaves-inline", "one-line"])
def test_an_untouched_container_keeps_its_text(layout: str) -> None:
    data = json.loads((GOLDEN / "describe-output-fargate" / "input.json").read_text())
    data = data["taskDefinition"]  # not wrapped: same depth before and after
    text = LAYOUTS[layout](data)
    app = data["containerDefinitions"][0]
    app_text = LAYOUTS[layout]({"x": [app]})
    edit = edit_task_definition(parse_task_definition(text), EcsRequest())
    start = app_text.index("{", 1)  # the app container's own text in that layout
    end = app_text.rindex("}", 0, app_text.rindex("]")) + 1
    assert app_text[start:end] in edit.text
