"""Parsing: the shortcuts (comment lines left out, the line reader) mean what PyYAML reads."""

from __future__ import annotations

import random

import pytest

from fipsconf.errors import DocumentError
from fipsconf.yamldoc import SourceLines, decode_utf8, entry_end_line, parse_yaml
from tests.oracle import load_yaml11

TRICKY = {
    "comment-lines-inside-a-literal-block": (
        "a: |\n  line one\n  # not a comment\n\n  line four\nb: 1\n"
    ),
    "comment-lines-after-a-keep-block": "a: |+\n  text\n\n# a comment\nb: 1\n",
    "comment-inside-a-double-quoted-scalar": 'a: "one\n  # two\n  three"\nb: 2\n',
    "blank-lines-in-a-folded-plain-scalar": "a: one\n  two\n\n  three\nb: 3\n",
    "comments-between-sequence-items": "a:\n  - 1\n  # x\n\n  - 2\n# y\nb: [1,\n  # z\n  2]\n",
    "comment-after-key-before-value": "a:\n  # c\n  value\n",
    "folded-block-with-hash-lines": "a: >\n  x\n\n  # y\n  z\nb: 1\n",
    "only-comments": "# one\n\n   # two\n",
    "empty": "",
    "anchors-and-merge": "d: &d {x: 1}\n# c\ne:\n  <<: *d\n  z: 2\n",
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_same_data_as_a_full_parse(name: str) -> None:
    text = TRICKY[name]
    assert parse_yaml(text).data == load_yaml11(text)


def test_lines_and_columns_point_into_the_full_text() -> None:
    text = "# head\n\nsite: x\n# c\n\nfips:\n  # d\n  enabled: true  # e\n"
    doc = parse_yaml(text)
    keys = {key.value: (key.start_mark.line, key.start_mark.column) for key, _ in doc.root.value}
    assert keys == {"site": (2, 0), "fips": (5, 0)}
    fips_value = doc.root.value[1][1]
    child_key, child_value = fips_value.value[0]
    assert (child_key.start_mark.line, child_key.start_mark.column) == (7, 2)
    assert (child_value.start_mark.line, child_value.start_mark.column) == (7, 11)
    assert entry_end_line(*doc.root.value[1]) == 7


def test_yaml_1_1_booleans_as_the_agent_reads_them() -> None:
    assert parse_yaml("a: yes\nb: off\nc: 'yes'\n").data == {"a": True, "b": False, "c": "yes"}


def test_a_tab_before_a_comment_is_an_error_as_for_the_agent() -> None:
    with pytest.raises(DocumentError) as caught:
        parse_yaml("a: 1\n\t# tabbed\n")
    assert caught.value.line == 2


def test_a_duplicate_key_names_both_lines_without_the_values() -> None:
    with pytest.raises(DocumentError) as caught:
        parse_yaml("api_key: secret-one\nx: 1\napi_key: secret-two\n")
    assert "lines 1 and 3" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_invalid_utf8_names_the_line() -> None:
    with pytest.raises(DocumentError) as caught:
        decode_utf8(b"a: 1\nb: \xff\n")
    assert caught.value.line == 2


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r", "\x85", "\u2028"])
def test_source_lines_know_every_yaml_line_break(newline: str) -> None:
    lines = SourceLines(f"a{newline}bc{newline}")
    assert lines.contents == ["a", "bc", ""]
    assert lines.starts == [0, 1 + len(newline), 3 + 2 * len(newline)]
    assert lines.newline == newline
    assert lines.ends_with_break()


def test_the_lines_of_an_edited_text_are_those_of_the_text() -> None:
    rng = random.Random(5)
    pieces = ["a", "b: 1", " ", "\n", "\r", "\r\n", "\x85", "\u2028", "# c", ""]
    for _ in range(3000):
        old = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        start = rng.randint(0, len(old))
        end = rng.randint(start, len(old))
        new = (
            old[:start] + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 3))) + old[end:]
        )
        edited, whole = SourceLines.edited(SourceLines(old), new, start, end), SourceLines(new)
        assert (edited.contents, edited.breaks, edited.starts, edited.newline) == (
            whole.contents,
            whole.breaks,
            whole.starts,
            whole.newline,
        ), (old, new, start, end)


def test_the_lines_an_edit_leaves_alone_are_shared_not_copied() -> None:
    old = SourceLines("a: 1\nb: 2\nc: 3\n")
    edited = SourceLines.edited(old, "a: 1\nb: 22\nc: 3\n", 8, 9)
    assert edited.contents[0] is old.contents[0] and edited.contents[2] is old.contents[2]
    assert edited.starts == [0, 5, 11, 16]


@pytest.mark.parametrize("value", ["0x_", "+_", "0b_", "._"])
def test_a_malformed_number_is_one_line_naming_its_line(value: str) -> None:
    # YAML 1.1 reads these as numbers that are not numbers (ruamel: IndexError, ValueError)
    with pytest.raises(DocumentError) as caught:
        parse_yaml(f"site: x\nk: {value}\n")
    assert caught.value.line == 2
    assert "not a valid one" in caught.value.message


def test_a_malformed_number_ruamel_reads_is_one_line_too() -> None:
    with pytest.raises(DocumentError) as caught:  # was an internal error
        parse_yaml("site: x\nk: [1, +_]\n")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a:\n\tb: 1\n", 2, "a tab where YAML allows only spaces"),
        ("a: x\n---\nb: 2\n", 2, "a second YAML document starts here"),
        ("site: x\ntags: [a, b\n", 3, "the list opened with '[' on line 2 is not closed"),
        ("a: {b: 1\n", 2, "the mapping opened with '{' on line 1 is not closed"),
        ("a:\n  b: 1\n c: 2\n", 3, "this line is not indented like the lines above it"),
        ("a: b: c\n", 1, "put the value in quotes"),
        ('api_key: "abc\n', 2, "the quoted value that starts on line 1 is not closed"),
        ("a: @x\n", 1, "a value cannot start with this character"),
    ],
)
def test_invalid_yaml_is_said_in_words_with_what_to_do(text: str, line: int, words: str) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_yaml(text)
    assert caught.value.line == line
    assert words in caught.value.message
    assert "<block" not in caught.value.message and "stream" not in caught.value.message
    assert "abc" not in caught.value.message  # the document's text is never quoted
