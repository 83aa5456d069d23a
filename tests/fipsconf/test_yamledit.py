"""The generic engine: nested paths, exact keys, and its refusal to write nonsense."""

from __future__ import annotations

from typing import Optional

import pytest

from fipsconf import yamledit
from fipsconf.errors import DocumentError
from fipsconf.yamldoc import parse_yaml
from fipsconf.yamledit import Assignment, case_insensitive_keys, set_values
from tests.oracle import load_yaml11


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
    assert load_yaml11(result) == {"a": 1, "b": "text", "c": True}


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


FIPS_ON = (Assignment(("fips", "enabled"), True), Assignment(("fips", "https"), False))


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "base: &b\n  enabled: false\nfips:\n  <<: *b\nafter: 1\n",
            "base: &b\n  enabled: false\nfips:\n  <<: *b\n  enabled: true\n  https: false\nafter: 1\n",
            id="only-a-merge-key",
        ),
        pytest.param(
            "base: &b\n  enabled: false\n  https: true\nfips:\n  <<: *b\n  enabled: false\n",
            "base: &b\n  enabled: false\n  https: true\nfips:\n  <<: *b\n  enabled: true\n  https: false\n",
            id="merge-and-own-keys",
        ),
        pytest.param(
            "a: &a\n  enabled: false\nb: &b\n  port: 1\nfips:\n  <<: [*a, *b]\n",
            "a: &a\n  enabled: false\nb: &b\n  port: 1\nfips:\n  <<: [*a, *b]\n  enabled: true\n  https: false\n",
            id="merge-list",
        ),
        pytest.param(
            "base: &b {enabled: false}\nfips: {<<: *b}\n",
            "base: &b {enabled: false}\nfips: {<<: *b, enabled: true, https: false}\n",
            id="flow",
        ),
    ],
)
def test_a_merged_mapping_gets_keys_of_its_own_and_its_source_stays(
    before: str, after: str
) -> None:
    # Keys written in a mapping win over those a merge key brings in, so the
    # edit adds them there and leaves the shared source as it was.
    assert edit(before, *FIPS_ON) == after
    assert edit(after, *FIPS_ON) == after


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("fips: &f\n  enabled: false\nother: *f\n", 1),
        ("fips: &f\n  enabled: false\nother:\n  <<: *f\n  x: 1\n", 1),
        ("list:\n  - &f {enabled: false}\nfips: *f\n", 3),
    ],
    ids=["aliased", "merged-elsewhere", "fips-is-the-alias"],
)
def test_a_mapping_other_settings_share_is_left_to_a_person(text: str, line: int) -> None:
    with pytest.raises(DocumentError) as caught:
        edit(text, *FIPS_ON)
    assert caught.value.line == line
    assert "'fips'" in caught.value.message


def test_an_anchor_nothing_refers_to_does_not_stop_the_edit() -> None:
    text = "fips: &f\n  enabled: false\n"
    assert edit(text, *FIPS_ON) == "fips: &f\n  enabled: true\n  https: false\n"


MERGE = Assignment(("tags",), ["b:2", "c:3"], merge=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tags:\n  - a:1\n  - b:2\nx: 1\n", 'tags:\n  - a:1\n  - b:2\n  - "c:3"\nx: 1\n'),
        ("tags: [a:1]\n", 'tags: [a:1, "b:2", "c:3"]\n'),
        ("tags: []\n", 'tags: ["b:2", "c:3"]\n'),
        ("tags: a:1 b:2 # kept\n", 'tags: # kept\n  - "a:1"\n  - "b:2"\n  - "c:3"\n'),
        ("tags: b:2 c:3\n", "tags: b:2 c:3\n"),  # already names both: left as written
        ("tags: ~\nx: 1\n", 'tags:\n  - "b:2"\n  - "c:3"\nx: 1\n'),
        ("host: {tags: a:1}\n", None),
        ("{tags: a:1, x: 1}\n", '{tags: ["a:1", "b:2", "c:3"], x: 1}\n'),
        ("{x: 1, tags: }\n", '{x: 1, tags: ["b:2", "c:3"] }\n'),
        ("x: 1\n", 'x: 1\n\ntags:\n  - "b:2"\n  - "c:3"\n'),
    ],
)
def test_a_merged_list_keeps_what_is_there_and_adds_what_is_not(
    text: str, expected: Optional[str]
) -> None:
    result = edit(text, MERGE)
    assert result == (
        expected if expected is not None else text + '\ntags:\n  - "b:2"\n  - "c:3"\n'
    )
    assert edit(result, MERGE) == result


def test_a_list_shared_through_an_anchor_is_left_to_a_person() -> None:
    with pytest.raises(DocumentError) as caught:
        edit("tags: &t\n  - a:1\nother: *t\n", MERGE)
    assert "anchor (&t)" in caught.value.message and caught.value.line == 1
