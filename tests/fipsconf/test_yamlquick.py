"""The fast reader builds exactly what ruamel builds: nodes, tags, styles, marks and data.

Every document here is read both ways: by :mod:`fipsconf.yamlquick` and by
ruamel's composer and constructor alone. Where the fast reader takes a
document (or some of its top-level entries), the two trees must be equal
node by node, marks included, and the data too; a document it declines goes
to ruamel whole, which these tests also check happens where it must.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Callable

import pytest

from fipsconf import yamldoc, yamlquick, yamlslow
from fipsconf.errors import DocumentError
from fipsconf.scalars import strict_equal
from fipsconf.yamldoc import SourceLines
from fipsconf.yamlnodes import MappingNode, Node, ScalarNode, SequenceNode, walk

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_HELM = Path(__file__).parent / "golden_helm"


def shape(node: Any) -> Any:
    """Everything the editors read of a node, recursively."""
    if node is None:
        return None
    marks = (
        node.start_mark.line,
        node.start_mark.column,
        node.end_mark.line,
        node.end_mark.column,
    )
    # the node classes (the fast reader's one-line scalars are a subclass)
    kind = next(k for k in (ScalarNode, MappingNode, SequenceNode) if isinstance(node, k))
    common = (kind.__name__, node.tag, node.anchor, marks)
    if isinstance(node, ScalarNode):
        return (*common, node.value, node.style)
    if isinstance(node, MappingNode):
        return (*common, node.flow_style, [(shape(k), shape(v)) for k, v in node.value])
    assert isinstance(node, SequenceNode)
    return (*common, node.flow_style, [shape(item) for item in node.value])


def both_ways(text: str) -> bool:
    """Read ``text`` both ways; assert they agree. True when the fast reader took it."""
    lines = SourceLines(text)
    try:
        slow_root, slow_data = yamlslow.read(lines.text)
    except DocumentError:
        slow_root = slow_data = None
        slow_failed = True
    else:
        slow_failed = False
    try:
        quick_root, quick_data, _plain, _lines = yamlquick.compose(lines)
    except yamlquick.Declined:
        return False
    assert not slow_failed, "the fast reader took a document ruamel refuses"
    assert shape(quick_root) == shape(slow_root)
    assert strict_equal(quick_data, slow_data)
    return True


SIMPLE = {
    "flat": "a: 1\nb: two words\nc: 'quoted'\nd: \"double\"\n",
    "nested": "a:\n  b:\n    c: 1\n  d: x\ne: 2\n",
    "comments-everywhere": "# head\na: 1  # one\n\n  # indented comment\nb:\n  # before\n  c: 2 # two\n# tail\n",
    "empty-values": "a:\nb:   \nc: # comment\nd:\n  e:\n  f:\n# end\n",
    "empty-value-last": "a: 1\nb:",
    "no-final-newline": "a:\n  b: 1",
    "trailing-spaces-no-newline": "a: 1\n   ",
    "trailing-comment-no-newline": "a: 1\n# c",
    "sequences": "a:\n  - 1\n  - two\n  -\n  - 'x'\nb:\n- indentless\n- 2\nc: 3\n",
    "sequence-of-sequences": "a:\n  -\n    - 1\n    - 2\n  -\n    - 3\n",
    "compact-mappings": "rules:\n  - type: exclude\n    name: x\n  - type: include\n    pattern: '#y'\n",
    "compact-mapping-with-nested": "a:\n- k: v\n  n:\n    m: 1\n  l:\n  - 1\n- k: w\n",
    "yaml-1.1-scalars": "a: yes\nb: No\nc: on\nd: 0777\ne: 1:30\nf: 2001-12-14\ng: ~\nh: 1e3\ni: .inf\nj: 0x1F\nk: 1_000\nl: y\nm: -1\nn: -foo\no: :x\np: ?y\n",
    "yaml-1.1-keys": "y: 1\nn: 2\n1: one\n0777: octal\nnull: x\ntrue: t\n",
    "urls-and-colons": "dd_url: https://app.datadoghq.com\nproxy: http://u@h:3128/\nt: a:b:c\n",
    "hashes-in-values": "a: a#b\nb: 'a #b'\nc: \"#c\"\nd: x # y\n",
    "quotes": "a: 'it''s'\nb: ''\nc: \"\"\nd: ' spaced '\n'q k': 1\n\"dq k\": 2\n",
    "empty-flow": "a: []\nb: {}\nc:\n  d: [] # e\n",
    "unicode": 'café: naïve ☕\nb: "日本"\n',
    "crlf": "a: 1\r\nb:\r\n  c: 2\r\n",
    "indented-document": "  a: 1\n  b:\n    c: 2\n",
    "deep": "".join(f"{'  ' * i}k{i}:\n" for i in range(40)) + "  " * 40 + "v: 1\n",
    "brackets-inside-plain": "a: x[1]\nb: y{2}\nc: a,b\n",
    "long-lines": "a: " + "x" * 5000 + "\n",
    "document-start-marker": "---\na: 1\n",
    "document-start-marker-after-comments": "# c\n\n--- # d\na:\n  b: 1\n",
}
MIXED = {  # some top-level entries are read by ruamel alone
    "block-scalar": "a: 1\nb: |\n  text\n  # not a comment\nc: 2\n",
    "folded-block-last": "a: 1\nb: >-\n  folded\n  text",
    "flow-collections": "a: [1, 2]\nb: {c: d}\nc: 3\n",
    "multi-line-flow": "a: [1,\n  2]\nb: 2\n",
    "anchor-within-an-entry": "a:\n  x: &x 1\n  y: *x\nb: 2\n",
    "merge-within-an-entry": "a:\n  d: &d {p: 1}\n  e:\n    <<: *d\n    q: 2\nb: 1\n",
    "multi-line-plain": "a: one\n  two\nb: 3\n",
    "multi-line-quoted": "a: 'one\n  two'\nb: 3\n",
    "escapes": 'a: "tab\\there"\nb: 1\n',
    "tags": "a: !!str 1\nb: 2\n",
    "complex-inner-key": "a:\n  ? b\n  : c\nd: 1\n",
    "nested-compact-sequence": "a:\n- - 1\n  - 2\nb: 1\n",
    "merge-of-a-flow-mapping": "a:\n  <<: {x: 1}\n",
    "anchor-across-entries": "a: &x 1\nb: *x\n",
    "merge-across-entries": "d: &d {x: 1}\nplain: 1\ne:\n  <<: *d\n  y: [2]\nz: 3\n",
    "ends-between-quick-entries": "a:\n- [1]\n-\nb: 1\nc:\n  d: {e: 1}\n  f:\ng: 2\n",
    # comments after an entry ruamel reads: handed to it cut short, marks unmoved
    "flow-then-comments": "a: [1, 2]\n# c\n\n  # d\nb: 1\n",
    "flow-last-then-comments": "a: [1, 2]\n# c\n# d\n",
    "flow-last-then-comment-no-newline": "a: [1]\n# c",
    "flow-then-comments-crlf": "a: [1]\r\n# c\r\n  # d\r\nb: 2\r\n",
    "kept-block-scalar-then-comments": "a: |+\n  x\n\n# c\n\n# d\n\nb: 1\n",
    "kept-block-scalar-last-then-comments": "a: |+\n  x\n\n# c\n\n",
    "block-scalar-with-a-hash-line": "a: |\n  x\n  # y\n# c\nb: 1\n",
    "flow-in-a-mapping-then-comments": "b: 1\na:\n  c: {x: 1}\n  # in\n# out",
}
DECLINED = {
    "second-document": "a: 1\n---\nb: 2\n",
    "content-after-the-marker": "--- a: 1\n",
    "two-markers": "---\n---\na: 1\n",
    "end-marker": "a: 1\n...\n",
    "directive": "%YAML 1.1\n---\na: 1\n",
    "top-level-sequence": "- a\n- b\n",
    "merge-at-the-top": "d: &d {x: 1}\n<<: *d\n",
    "run-on-flow": "a: [1,\nb: 2\nc: [3]]\n",
    "tab-indentation": "a:\n\tb: 1\n",
    "tab-before-comment": "a: 1\n\t# c\n",
    "invalid": "a: b: c\n",
    "tab-in-value": "a: x\ty\nb: 1\n",
    "non-printable": "a: \x01\n",
    "indented-with-flow": "  a: [1,\n  2]\n",
    "mapping-as-a-key": "k: 1\n{a: 1}: v\n",  # refused, in one line
    "sequence-as-a-key": "k: 1\n[1, 2]: v\n",  # read as ruamel reads it: (1, 2)
}


@pytest.mark.parametrize("name", sorted(SIMPLE))
def test_simple_documents_are_read_fast_and_the_same(name: str) -> None:
    assert both_ways(SIMPLE[name])


@pytest.mark.parametrize("name", sorted(MIXED))
def test_entries_with_other_syntax_are_read_by_ruamel_in_place(name: str) -> None:
    assert both_ways(MIXED[name])


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_documents_it_cannot_cut_go_to_ruamel_whole(name: str) -> None:
    assert not both_ways(DECLINED[name])


def test_comments_after_a_flow_list_are_not_read_slowly(
    shared_fixture: Callable[[str], Path],
) -> None:
    """Datadog's install script writes ``tags: ['a:b']``: 157 KiB of documentation follow it."""
    text = shared_fixture("datadog-agent/datadog.yaml.example").read_text(encoding="utf-8")
    text = text.replace("\n# tags:\n", "\ntags: ['env:prod','team:a']\n", 1)
    assert both_ways(text)
    assert yamldoc.parse_yaml(text).data["tags"] == ["env:prod", "team:a"]


def test_the_vendor_files_are_read_fast(shared_fixture: Callable[[str], Path]) -> None:
    for name in (
        "datadog-agent/datadog.yaml.example",
        "datadog-agent/datadog.yaml.example-7.45",
        "helm/values-fips-excerpt.yaml",
    ):
        assert both_ways(shared_fixture(name).read_text())


def test_every_golden_input_reads_the_same_both_ways() -> None:
    inputs = sorted(GOLDEN.glob("*/input.yaml")) + sorted(GOLDEN_HELM.glob("*/input.yaml"))
    assert len(inputs) > 30
    taken = 0
    for path in inputs:
        text = path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
        taken += both_ways(text)
    assert taken > len(inputs) // 2


_SCALARS = [
    "1", "yes", "No", "off", "0777", "1:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
    "~", "null", "1e3", ".nan", "-1", "-x", "a b", "a#b", "x # c", "'q'", "'it''s'", '"d q"',
    "http://h:1/p", "[]", "{}", "=", "a,b", "x[1]", "é", "''", '""', "0x1F", "+12", "1.5",
    "<<x", "?x", ":x", "!x", "&x", "*x", "|", ">", "[1, 2]", "{a: 1}", '"a\\"b"', "a: b",
    "&anchor v", "*anchor", "[*anchor, 1]", "{k: *anchor}", "&other [1]", "*other",
]  # fmt: skip
_KEYS = ["k", "y", "1", "key_two", "'quoted key'", '"dq"', "a.b", "x-y", "null", "K"]


def random_document(seed: int) -> str:
    """A block document of random shape from tricky pieces (some invalid on purpose)."""
    rng = random.Random(seed)
    out: list[str] = []

    def block(indent: int, depth: int, kind: str) -> None:
        for index in range(rng.randint(1, 4)):
            pad = " " * indent
            if rng.random() < 0.15:
                out.append(pad + "# comment " + rng.choice(_SCALARS))
            if rng.random() < 0.1:
                out.append("")
            lead = pad + ("- " if kind == "seq" else "")
            if kind == "map":
                lead += f"{_KEYS[(index + seed) % len(_KEYS)]}{index}:"
            else:
                lead = lead.rstrip() if rng.random() < 0.3 else lead
            choice = rng.random()
            if depth < 4 and choice < 0.35:
                out.append(lead.rstrip())
                child_kind = rng.choice(["map", "seq"])
                step = (
                    rng.choice([2, 4])
                    if child_kind == "map" or kind == "seq"
                    else rng.choice([0, 2])
                )
                block(indent + step, depth + 1, child_kind)
            elif kind == "seq" and depth < 4 and choice < 0.5:
                out.append(pad + f"- k{index}: {rng.choice(_SCALARS)}")
                out.append(pad + f"  m{index}: {rng.choice(_SCALARS)}")
            elif choice < 0.55:
                out.append(lead.rstrip() + rng.choice(["", "  # c"]))
            else:
                separator = "" if lead.endswith(" ") else " "
                out.append(lead + separator + rng.choice(_SCALARS) + rng.choice(["", " # c", "  "]))

    block(0, 0, "map")
    ending = rng.choice(["\n", "", "\r\n"])
    return ending.join(out) + (ending if rng.random() < 0.8 else "")


def test_random_documents_read_the_same_both_ways() -> None:
    taken = sum(both_ways(random_document(seed)) for seed in range(400))
    assert taken > 150  # most are read fast at least in part (the rest: ruamel whole)


def test_a_duplicate_key_is_refused_on_the_fast_path_too() -> None:
    with pytest.raises(DocumentError) as caught:
        yamldoc.parse_yaml("a: 1\nb: 2\na: 3\n")
    assert (caught.value.line, caught.value.message) == (
        3,
        "key 'a' is given twice, at lines 1 and 3; remove one of them",
    )


def test_nesting_beyond_the_limit_is_refused_on_the_fast_path() -> None:
    text = "".join(f"{' ' * i}k:\n" for i in range(150)) + " " * 150 + "v: 1\n"
    with pytest.raises(DocumentError) as caught:
        yamlquick.compose(SourceLines(text))
    assert caught.value.line == 101
    assert "more than 100 levels deep" in caught.value.message


def fast_reader_used(monkeypatch: pytest.MonkeyPatch) -> list[Node]:
    """Record the roots the fast reader returns through parse_yaml."""
    roots: list[Node] = []
    real = yamlquick.compose

    def spy(lines: SourceLines) -> Any:
        quick = real(lines)
        roots.append(quick[0])
        return quick

    monkeypatch.setattr(yamlquick, "compose", spy)
    return roots


def test_parse_yaml_takes_the_fast_reader_for_plain_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    roots = fast_reader_used(monkeypatch)
    doc = yamldoc.parse_yaml("site: ddog-gov.com\nfips:\n  enabled: true\n")
    assert len(roots) == 1 and roots[0] is doc.root
    assert doc.data == {"site": "ddog-gov.com", "fips": {"enabled": True}}


# -- reading an edited document again -----------------------------------------

_PLAIN_PIECES = [
    "", "\n", "x: 1\n", "fips:\n  enabled: true\n  https: false\n", "  y: 2\n", "    z: 3\n",
    "- a\n", "  - b\n", "# c\n", "  # c\n", "a: 1\n", "k:\n", "   ", "true", "1: z\n", "0x1: y\n",
    "api_key: secret\n", "x", "-", ": ", "é", "\r\n",
]  # fmt: skip
_OTHER_PIECES = [
    "'q", "\"", "|\n  b\n", "[", "]", "{a: 1}", "\r", "\t", "---\n", "...\n", "&a x", "*a",
    "key: [1, 2]\n", "\x01", "a: b: c\n",
]  # fmt: skip


_RUAMEL_READ = ["a: |\n  # x\n  y", "q: 'p\n  # r'", "m: >\n  # z\n\n  w", "&k s: 1", "t: *k"]


def read_again_both_ways(old: yamldoc.YamlDocument, text: str, start: int, end: int) -> None:
    """``parse_edited`` gives what a whole reading of ``text`` gives, errors included."""
    try:
        whole = yamldoc.parse_yaml(text)
    except DocumentError as exc:
        with pytest.raises(DocumentError) as caught:
            yamldoc.parse_edited(old, text, start, end)
        assert (caught.value.line, caught.value.message) == (exc.line, exc.message)
        return
    again = yamldoc.parse_edited(old, text, start, end)
    assert again.text == text
    assert shape(again.root) == shape(whole.root)
    assert aliasing(again.root) == aliasing(whole.root)
    assert strict_equal(again.data, whole.data)
    assert list(again.data) == list(whole.data) if isinstance(whole.data, dict) else True
    assert again.plain == whole.plain


def aliasing(root: Any) -> Any:
    """Where the nodes held in more than one place are, and where merge keys bring entries in."""
    holders: dict[int, int] = {}
    where: dict[int, tuple[int, int]] = {}
    merges = []
    for node in [] if root is None else walk(root):
        where[id(node)] = (node.start_mark.line, node.start_mark.column)
        if isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
            merges.append([(where_of(k), where_of(v)) for k, v in node.merge or []])
        else:
            children = list(node.value) if isinstance(node, SequenceNode) else []
        for child in children:
            holders[id(child)] = holders.get(id(child), 0) + 1
    return sorted(where[key] for key, count in holders.items() if count > 1), merges


def where_of(node: Any) -> tuple[int, int]:
    return (node.start_mark.line, node.start_mark.column)


def recompose_used(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record, for each call, whether recompose read only part of the text."""
    calls: list[bool] = []
    real = yamlquick.recompose

    def spy(*args: Any) -> Any:
        quick = real(*args)
        calls.append(quick is not None)
        return quick

    monkeypatch.setattr(yamlquick, "recompose", spy)
    return calls


def plain_document(rng: random.Random) -> str:
    """Plain block settings: nested mappings, sequences, comments, blank lines."""
    out = []
    for index in range(rng.randint(1, 8)):
        if rng.random() < 0.3:
            out.append(rng.choice(["# comment", "", "  # indented comment", "# fips: x"]))
        kind = rng.choice(["scalar", "mapping", "sequence", "indentless"])
        if kind == "scalar":
            out.append(f"k{index}:" + rng.choice([" 1", " two words", "", " 'q'", " []"]))
            continue
        out.append(f"k{index}:")
        for inner in range(rng.randint(1, 3)):
            out.append(
                {"mapping": f"  i{inner}: {inner}", "sequence": f"  - s{inner}"}.get(
                    kind, f"- s{inner}"
                )
            )
            if rng.random() < 0.2:
                out.append(rng.choice(["  # inner comment", ""]))
    return rng.choice(["\n", "\r\n"]).join(out) + rng.choice(["\n", ""])


def test_an_edited_document_reads_as_a_whole_reading_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = recompose_used(monkeypatch)
    rng = random.Random(7)
    cases = 0
    for seed in range(1200):
        text = plain_document(rng) if seed % 3 else random_document(seed)
        if rng.random() < 0.3:  # an entry only ruamel reads, lines like comments inside
            lines = text.split("\n")
            at = rng.randint(0, len(lines))
            text = "\n".join([*lines[:at], rng.choice(_RUAMEL_READ), *lines[at:]])
        try:
            old = yamldoc.parse_yaml(text)
        except DocumentError:
            continue
        body = old.body
        start = rng.randint(0, len(body))
        if rng.random() < 0.8:  # most edits start at a line
            start = body.rfind("\n", 0, start) + 1
        end = min(len(body), start + rng.choice([0, 0, 1, 2, 5, 20]))
        pieces = _PLAIN_PIECES if rng.random() < 0.8 else _OTHER_PIECES
        piece = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 3)))
        read_again_both_ways(old, body[:start] + piece + body[end:], start, end)
        cases += 1
    assert cases > 700
    # a real share of them took the short way, and a real share did not
    assert sum(calls) > 150 and calls.count(False) > 300


def test_the_editor_s_edits_read_as_a_whole_reading_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fipsconf.datadog_yaml import template_slots
    from fipsconf.yamledit import Assignment, set_values

    calls = recompose_used(monkeypatch)
    real = yamldoc.parse_edited
    checked: list[int] = []

    def checking(old: yamldoc.YamlDocument, text: str, start: int, end: int) -> Any:
        read_again_both_ways(old, text, start, end)
        checked.append(1)
        return real(old, text, start, end)

    monkeypatch.setattr("fipsconf.yamledit.parse_edited", checking)
    rng = random.Random(11)
    for _ in range(400):
        old = yamldoc.parse_yaml(plain_document(rng))
        key = rng.choice(["fips", "k0", "k1", "k3", "new"])
        assignments = [Assignment((key, "enabled"), rng.choice([True, False]))]
        if rng.random() < 0.5:
            assignments.append(Assignment((key, "https"), False))
        if rng.random() < 0.3:
            assignments.append(Assignment((rng.choice(["k2", "site"]),), "ddog-gov.com"))
        try:
            set_values(old, assignments, top_level_slots=template_slots(old, ["fips"]))
        except DocumentError:
            continue  # a scalar where a mapping is needed: refused before any reading
    assert len(checked) > 200
    assert all(calls)  # every one read again only around the change


def test_the_vendor_file_is_read_again_only_around_the_fips_block(
    shared_fixture: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fipsconf.datadog_yaml import FipsRequest, edit_datadog_yaml

    calls = recompose_used(monkeypatch)
    text = shared_fixture("datadog-agent/datadog.yaml.example").read_text()
    old = yamldoc.parse_yaml(text)
    edit = edit_datadog_yaml(old, FipsRequest())
    assert calls == [True]
    whole = yamldoc.parse_yaml(edit.result.text)
    assert shape(edit.result.document.root) == shape(whole.root)
    assert strict_equal(edit.result.document.data, whole.data)


def test_a_changed_character_outside_the_span_makes_it_read_the_whole_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = recompose_used(monkeypatch)
    old = yamldoc.parse_yaml("a: 1\nb: 2\nc: 3\nd: 4\n")
    # "c: 3" became "c: 30" too, outside the span said to have changed (line 1)
    again = yamldoc.parse_edited(old, "a: 1\nb: 5\nc: 30\nd: 4\n", 8, 9)
    assert calls == [False]
    assert again.data == {"a": 1, "b": 5, "c": 30, "d": 4}


def test_the_printable_check_refuses_exactly_what_ruamel_s_reader_refuses() -> None:
    from ruamel.yaml.reader import Reader

    every = "".join(map(chr, range(0x110000)))
    refused = {match.group() for match in Reader.NON_PRINTABLE.finditer(every)}
    assert refused == set(yamlquick._NOT_PRINTABLE.findall(every))
    assert not yamlquick._printable("é" + min(refused)) and yamlquick._printable("é\u2028")


def test_entries_ruamel_read_are_not_read_again_and_keep_their_aliases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = recompose_used(monkeypatch)
    text = "base: &b {x: 1}\nfips:\n  enabled: false\nuse: *b\nmerged:\n  <<: *b\n  y: 2\n"
    old = yamldoc.parse_yaml(text)
    assert not old.plain
    new_text = text.replace("  enabled: false\n", "  enabled: true\n  https: false\n")
    start = text.index("  enabled")
    end = start + len("  enabled: false\n")
    read_again_both_ways(old, new_text, start, end)  # equal to a whole reading, aliases too
    again = yamldoc.parse_edited(old, new_text, start, end)
    assert calls == [True, True]
    use, merged = again.root.value[2][1], again.root.value[3][1]
    assert use is again.root.value[0][1]  # still the one anchored mapping, where it is
    assert merged.merge and merged.merge[0][0].start_mark.line == 0


@pytest.mark.parametrize(
    ("text", "old", "new"),
    [
        ("a: |\n  # one\n  # two\nb: 1\n", "# two", "# 2"),  # comment-like lines of a block
        ("a: |\n  x\n\n  # two\nb: 1\n", "# two", "# 2"),
        ("a: 'x\n  # two'\nb: 1\n", "# two", "# 2"),  # a quoted scalar over lines
    ],
)
def test_a_change_inside_a_value_ruamel_read_is_read_again(text: str, old: str, new: str) -> None:
    doc = yamldoc.parse_yaml(text)
    start = text.index(old)
    read_again_both_ways(doc, text.replace(old, new), start, start + len(old))
