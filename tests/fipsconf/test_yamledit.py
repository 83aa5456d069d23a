"""The generic engine: nested paths, exact keys, and its refusal to write nonsense."""

from __future__ import annotations

import pytest

from fipsconf import yamledit
from fipsconf.errors import DocumentError
from fipsconf.yamldoc import parse_yaml
from fipsconf.yamledit import Assignment, case_insensitive_keys, set_values


def edit(text: str, *assignments: Assignment, **options: object) -> str:
    return set_values(parse_yaml(text), list(assignments), **options).text  # type: ignore[arg-type]


def test_nested_paths_are_created_with_the_files_indentation() -> None:
    text = "fips:\n    enabled: false\n    image:\n        name: fips-proxy\n"
    result = edit(
        text,
        Assignment(("fips", "enabled"), True),
        Assignment(("fips", "image", "tag"), "1.1.17"),
        Assignment(("fips", "resources", "limit"), 2),
    )
    assert result == (
        "fips:\n    enabled: true\n    image:\n        name: fips-proxy\n"
        '        tag: "1.1.17"\n    resources:\n        limit: 2\n'
    )


def test_keys_match_exactly_unless_told_otherwise() -> None:
    text = "FIPS:\n  enabled: false\n"
    exact = edit(text, Assignment(("fips", "enabled"), True))
    assert exact == "FIPS:\n  enabled: false\n\nfips:\n  enabled: true\n"
    folded = edit(text, Assignment(("fips", "enabled"), True), keys_match=case_insensitive_keys)
    assert folded == "FIPS:\n  enabled: true\n"


def test_a_new_top_level_key_can_take_a_reserved_comment_line() -> None:
    text = "a: 1\n# put it here\nb: 2\n"
    result = edit(text, Assignment(("c",), True), Assignment(("d",), 1), top_level_slots={"c": 1})
    assert result == "a: 1\nc: true\nb: 2\n\nd: 1\n"


def test_two_insertions_keep_their_order() -> None:
    text = "fips:\n  enabled: true\n"
    result = edit(text, Assignment(("fips", "https"), False), Assignment(("fips", "port"), 1))
    assert result == "fips:\n  enabled: true\n  https: false\n  port: 1\n"


def test_changes_report_paths_as_spelled_and_new_lines() -> None:
    doc = parse_yaml("Fips:\n  Enabled: false\n")
    result = set_values(
        doc,
        [Assignment(("fips", "enabled"), True), Assignment(("fips", "https"), False)],
        keys_match=case_insensitive_keys,
    )
    assert [(c.dotted, c.before, c.after, c.line) for c in result.changes] == [
        ("Fips.Enabled", False, True, 2),
        ("Fips.https", None, False, 3),
    ]


def test_a_value_with_a_tag_is_left_to_a_person() -> None:
    with pytest.raises(DocumentError, match="tag or an anchor"):
        edit("fips:\n  enabled: !!str no\n", Assignment(("fips", "enabled"), True))


def test_an_anchored_mapping_is_not_edited_through_an_alias() -> None:
    text = "base: &b {enabled: false}\nfips: *b\n"
    with pytest.raises(DocumentError, match="alias"):
        edit(text, Assignment(("fips", "enabled"), True))


def test_a_trailing_block_scalar_keeps_its_value() -> None:
    # The file ends in a block scalar without a final line break: appending
    # would add a line break to its value, so the new key goes before it.
    text = "a: 1\nb: |\n  text"
    result = edit(text, Assignment(("c",), True))
    assert parse_yaml(result).data == {"a": 1, "b": "text", "c": True}


def test_an_edit_that_would_not_mean_the_intended_data_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Simulate an engine bug: the value text written is not the value meant.
    monkeypatch.setattr(yamledit, "render_scalar", lambda value, quote=None: "maybe")
    with pytest.raises(DocumentError, match="refusing to write"):
        edit("fips:\n  enabled: false\n", Assignment(("fips", "enabled"), True))


def test_an_edit_that_would_not_parse_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamledit, "render_scalar", lambda value, quote=None: "[unclosed")
    with pytest.raises(DocumentError, match="refusing to write"):
        edit("fips:\n  enabled: false\n", Assignment(("fips", "enabled"), True))
