"""Parse a YAML document into its node tree, its data and a map of its lines.

The editors in this package change text, not data: they need to know where
each key and value sits (line and column) and what the document means. This
module gives both, with the semantics the Datadog Agent uses (YAML 1.1, as in
Go's yaml.v2: ``yes``/``on`` are booleans, ``0777`` is octal).

Speed: a pure-Python YAML scanner spends nearly all its time stepping through
comments and blank lines, and an Agent's ``datadog.yaml`` is 90% comments.
Those lines are therefore left out before parsing, and the marks of the
resulting nodes moved back to their lines in the full text. That is only
sound where such a line really is a comment or blank and not the content of a
block scalar or a multi-line quoted or plain scalar; the parse itself tells:
a left-out line that falls inside a multi-line scalar's span makes the
document be parsed again in full.
"""

from __future__ import annotations

import contextlib
import gc
import re
import warnings
from itertools import accumulate
from typing import Any, Iterator, NamedTuple, Optional, Union

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from fipsconf import yamlquick
from fipsconf.errors import DocumentError
from fipsconf.limits import (
    ALIAS_BUDGET,
    MAX_DEPTH,
    MAX_INTEGER_LENGTH,
    SLOW_READ_LIMIT,
    StructureError,
    integer_too_long,
    refers_to_itself,
    too_deep,
    too_many_aliases,
    too_slow_to_read,
)

#: Line breaks as YAML 1.1 (and Go's yaml.v2) count them.
LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_RARE_BREAKS = ("\r", "\x85", "\u2028", "\u2029")
LINE_BREAK_SPLIT = re.compile("(\r\n|[\r\n\x85\u2028\u2029])")
BOM = "\ufeff"

Collection = Union[MappingNode, SequenceNode]


class SourceLines:
    """Offsets of the lines of a text, with YAML's idea of a line break."""

    def __init__(self, text: str) -> None:
        self.text = text
        if any(char in text for char in _RARE_BREAKS):
            parts = LINE_BREAK_SPLIT.split(text)
            #: Each line's text, without its line break.
            self.contents: list[str] = parts[0::2]
            self.breaks: list[str] = parts[1::2]
            lengths = [len(c) + len(b) for c, b in zip(self.contents, self.breaks)]
        else:  # the common case, ten times faster than the regular expression
            self.contents = text.split("\n")
            self.breaks = ["\n"] * (len(self.contents) - 1)
            lengths = [len(c) + 1 for c in self.contents[:-1]]
        self.starts = [0, *accumulate(lengths)]
        #: The break to use for new lines: the file's first, else "\n".
        self.newline = self.breaks[0] if self.breaks else "\n"

    def __len__(self) -> int:
        return len(self.starts)

    def offset(self, line: int, column: int) -> int:
        """Text offset of a 0-based line and column."""
        return self.starts[line] + column

    def content_end(self, line: int) -> int:
        """Offset just before the line break ending ``line`` (or end of text)."""
        if line < len(self.breaks):
            return self.starts[line + 1] - len(self.breaks[line])
        return len(self.text)

    def next_start(self, line: int) -> int:
        """Offset of the first character after ``line``'s line break."""
        return self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)

    def content(self, line: int) -> str:
        """The text of ``line`` without its line break."""
        return self.contents[line]

    def ends_with_break(self) -> bool:
        """True when the text ends with a line break (or is empty)."""
        return not self.text or self.starts[-1] == len(self.text)


class YamlDocument(NamedTuple):
    """A parsed document: its text, its node tree, and the data it means.

    ``root`` is None for a document with no content (empty, or only comments).
    """

    bom: str
    lines: SourceLines
    root: Optional[Node]
    data: Any
    #: Read line by line with nothing but plain block YAML: no alias, anchor,
    #: merge key or multi-line scalar (walks looking for them can be skipped).
    plain: bool = False

    @property
    def body(self) -> str:
        """The text without its byte order mark."""
        return self.lines.text

    @property
    def text(self) -> str:
        """The text exactly as given, byte order mark included."""
        return self.bom + self.lines.text


def decode_utf8(data: bytes) -> str:
    """Decode file bytes as UTF-8 (a BOM is kept as U+FEFF).

    Raises DocumentError naming the line of the first invalid byte.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DocumentError(
            f"is not valid UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8",
            line=line,
        ) from None


def parse_yaml(text: str) -> YamlDocument:
    """Parse one YAML document with the Agent's YAML 1.1 semantics.

    Raises DocumentError (with the line) for invalid YAML, several documents
    in one stream, a key given twice in one mapping, collections nested more
    than 100 levels deep, and aliases that expand without bound.
    """
    with _collector_paused():
        return _parse(text)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a document is read.

    Reading makes objects by the hundred thousand, none of them in a cycle of
    its own making; the collector would walk them all again and again (40% of
    the time for a large file). It runs again, as before, afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_edited(old: YamlDocument, text: str, start: int, end: int) -> YamlDocument:
    """Parse ``text``: the text of ``old`` with what lay between two offsets changed.

    ``start`` and ``end`` are offsets in ``old.body``. The result is what
    :func:`parse_yaml` gives for ``text`` (and it raises the same errors),
    for less work: when ``old`` was read plain, only the top-level entries
    around the change are read again, once the rest of the text is shown
    to be the same (see :func:`fipsconf.yamlquick.recompose`).
    """
    with _collector_paused():
        bom = BOM if text.startswith(BOM) else ""
        lines = SourceLines(text[len(bom) :])
        if old.plain and bom == old.bom:
            quick = yamlquick.recompose(
                (old.root, old.data, old.plain), old.lines, lines, start, end, _RUAMEL
            )
            if quick is not None:
                root, data, plain = quick
                return YamlDocument(bom=bom, lines=lines, root=root, data=data, plain=plain)
        return _parse_lines(bom, lines)


def _parse(text: str) -> YamlDocument:
    bom = BOM if text.startswith(BOM) else ""
    return _parse_lines(bom, SourceLines(text[len(bom) :]))


def _parse_lines(bom: str, lines: SourceLines) -> YamlDocument:
    try:
        root, data, plain = yamlquick.compose(lines, _RUAMEL)
    except yamlquick.Declined as declined:
        parsed, root = _compose_without_comment_lines(lines, declined.line)
        if not parsed:
            if len(lines.text) > 8 * SLOW_READ_LIMIT:  # comments cost ruamel less
                raise too_slow_to_read(len(lines.text), declined.line) from None
            root = _compose(lines.text)
        if root is not None:
            _reject_duplicate_keys(root)
        return YamlDocument(bom=bom, lines=lines, root=root, data=_construct(root))
    if root is not None and not plain:
        _reject_duplicate_keys(root)
    return YamlDocument(bom=bom, lines=lines, root=root, data=data, plain=plain)


def _compose_without_comment_lines(
    lines: SourceLines, hint: Optional[int] = None
) -> tuple[bool, Optional[Node]]:
    """Compose the document with comment and blank lines left out, when that is sound.

    Marks in the returned tree are moved back to the lines of the full text.
    Returns ``(False, None)`` when the shortcut does not apply: nothing to
    leave out, an error (reported from the full text instead), or a left-out
    line inside a multi-line scalar, where it would have been content.
    Raises StructureError (its line in the full text) for a hostile shape,
    and for more content than the slow reader takes (``hint``: the line to
    name then).
    """
    # Only space-indented lines: a tab before a comment is an error for the
    # Agent's parser too, and must reach ours.
    kept = [
        number
        for number, content in enumerate(lines.contents)
        if content.strip(" ") and not content.lstrip(" ").startswith("#")
    ]
    contents, breaks = lines.contents, lines.breaks
    short = "".join(
        contents[number] + (breaks[number] if number < len(breaks) else "") for number in kept
    )
    if len(short) > SLOW_READ_LIMIT:
        raise too_slow_to_read(len(short), hint)
    if len(kept) == len(lines.contents):
        return False, None
    try:
        root = _compose(short)
    except StructureError as exc:  # its line, in the full text
        line = kept[min(exc.line, len(kept)) - 1] + 1 if exc.line and kept else exc.line
        raise StructureError(exc.message, line=line) from None
    except DocumentError:
        return False, None
    if root is None:
        return True, None
    # Line k of the short text is line kept[k] of the full text; its end
    # (after the last kept line's break) is the line after that.
    line_of = [*kept, (kept[-1] + 1) if kept else 0]
    moved: set[int] = set()
    for node in walk(root):
        for mark in (node.start_mark, node.end_mark):
            if id(mark) not in moved:
                moved.add(id(mark))
                mark.line = line_of[mark.line]
    left_out = set(range(len(contents))).difference(kept)
    if multiline_scalar_lines(root) & left_out:
        return False, None
    return True, root


class _DepthLimitedComposer(Composer):  # type: ignore[misc]
    """ruamel's composer, refusing collections nested more than MAX_DEPTH deep.

    Its recursion would otherwise end in a RecursionError (a traceback).
    """

    nesting = 0

    def compose_sequence_node(self, anchor: Any) -> Any:
        return self._nested(super().compose_sequence_node, anchor)

    def compose_mapping_node(self, anchor: Any) -> Any:
        return self._nested(super().compose_mapping_node, anchor)

    def _nested(self, compose: Any, anchor: Any) -> Any:
        self.nesting += 1
        try:
            if self.nesting > MAX_DEPTH:
                raise too_deep(self.parser.peek_event().start_mark.line + 1)
            return compose(anchor)
        finally:
            self.nesting -= 1


class _BoundedConstructor(SafeConstructor):  # type: ignore[misc]
    """ruamel's safe constructor, refusing integers too long to convert in reasonable time."""

    def construct_yaml_int(self, node: Any) -> Any:
        if len(node.value) > MAX_INTEGER_LENGTH:
            raise integer_too_long(len(node.value), node.start_mark.line + 1)
        return super().construct_yaml_int(node)


_BoundedConstructor.add_constructor("tag:yaml.org,2002:int", _BoundedConstructor.construct_yaml_int)


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 1)
    yaml.Composer = _DepthLimitedComposer
    yaml.Constructor = _BoundedConstructor
    return yaml


def _compose(text: str) -> Optional[Node]:
    """ruamel's node tree of ``text``. Raises DocumentError (hostile structure included)."""
    yaml = _yaml()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            node = yaml.compose(text)
    except YAMLError as exc:
        raise _document_error(exc) from None
    if not isinstance(node, Node):
        return None
    if yaml.composer.anchors:  # without an anchor there is no alias
        check_aliases(node)
    return node


def check_aliases(root: Node) -> None:
    """Refuse a tree whose aliases expand it without bound, nest it too deep, or loop.

    The expanded size and depth of each collection (every alias counted as
    a copy of what it names) is computed once per node, in time linear in
    the tree. Raises StructureError with the line where a limit is passed.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    scalars: set[int] = set()
    finished: list[Node] = []  # collections, children before parents
    open_nodes: set[int] = set()
    work: list[tuple[Node, Optional[list[Node]]]] = [(root, None)]
    while work:
        node, children = work.pop()
        key = id(node)
        if children is not None:  # all its children are done
            total, deepest = 1, 0  # a scalar is not a level (as for the composer)
            for child in children:
                if isinstance(child, ScalarNode):
                    total += 1
                    scalars.add(id(child))
                else:
                    total += size[id(child)]
                    deepest = max(deepest, depth[id(child)])
            size[key], depth[key] = total, deepest + 1
            open_nodes.discard(key)
            finished.append(node)
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise refers_to_itself(node.start_mark.line + 1)
        open_nodes.add(key)
        children = _children(node)
        work.append((node, children))
        work.extend((child, None) for child in children if not isinstance(child, ScalarNode))
    limit = len(size) + len(scalars) + ALIAS_BUDGET  # what it holds, and then some
    for node in finished:
        if size[id(node)] > limit:
            raise too_many_aliases(node.start_mark.line + 1)
        if depth[id(node)] > MAX_DEPTH:
            raise too_deep(node.start_mark.line + 1)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _construct(root: Optional[Node]) -> Any:
    if root is None:
        return None
    yaml = _yaml()
    yaml.allow_duplicate_keys = True  # already rejected, with both lines
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return yaml.constructor.construct_document(root)
    except YAMLError as exc:
        raise _document_error(exc) from None
    except (TypeError, ValueError) as exc:  # e.g. an unhashable key
        line = root.start_mark.line + 1
        raise DocumentError(f"cannot be read: {type(exc).__name__}", line=line) from None


def _document_error(exc: YAMLError) -> DocumentError:
    """A one-line error from a ruamel error, without quoting document text."""
    if isinstance(exc, MarkedYAMLError):
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and problem.startswith("but "):  # "expected one document, but..."
            problem = f"{exc.context}, {problem}"
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            return DocumentError(
                f"invalid YAML, {problem} (column {mark.column + 1})", line=mark.line + 1
            )
        return DocumentError(f"invalid YAML, {problem}")
    reason = getattr(exc, "reason", None) or type(exc).__name__
    return DocumentError(f"invalid YAML, {reason}")


def multiline_scalar_lines(root: Node) -> set[int]:
    """Lines (after the first) that lie inside a scalar spanning several lines."""
    covered: set[int] = set()
    for node in walk(root):
        if isinstance(node, ScalarNode):
            start, end = node.start_mark, node.end_mark
            if end.line > start.line:
                last = end.line if end.column > 0 else end.line - 1
                covered.update(range(start.line + 1, last + 1))
    return covered


class _RUAMEL:
    """The slow, complete reader, for :mod:`fipsconf.yamlquick` to hand pieces to."""

    compose = staticmethod(_compose)
    construct = staticmethod(_construct)
    yaml = staticmethod(_yaml)
    walk = staticmethod(lambda root: walk(root))


def walk(root: Node) -> Iterator[Node]:
    """Every node of the tree once (an aliased node is visited once)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, MappingNode):
            for key, value in reversed(node.value):
                stack.extend((value, key))
        elif isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))


def own_entries(mapping: MappingNode) -> list[tuple[Node, Node]]:
    """A mapping's entries written in it, without those a merge key (``<<``) brought in.

    Constructing the document puts the merged entries first in ``value`` and
    also in ``merge`` (and drops the ``<<`` entry itself).
    """
    merged = getattr(mapping, "merge", None) or []
    return list(mapping.value[len(merged) :])


def shared_mappings(root: Node) -> set[int]:
    """The ids of mappings that more than one place uses: aliased (``*name``) or merged (``<<``).

    Changing such a mapping would change every place that uses it.
    """
    parents: dict[int, int] = {}  # how many places hold each node
    merged_keys: set[int] = set()
    mappings: list[MappingNode] = []
    for node in walk(root):
        if isinstance(node, MappingNode):
            mappings.append(node)
            merged_keys.update(id(key) for key, _ in getattr(node, "merge", None) or [])
            children = [value for _, value in own_entries(node)]
        elif isinstance(node, SequenceNode):
            children = list(node.value)
        else:
            continue
        for child in children:
            parents[id(child)] = parents.get(id(child), 0) + 1
    return {
        id(mapping)
        for mapping in mappings
        if parents.get(id(mapping), 0) > 1
        or any(id(key) in merged_keys for key, _ in own_entries(mapping))
    }


def scalar_key(node: Node) -> Optional[str]:
    """The text of a plain or quoted scalar key, or None for a complex key."""
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        return node.value
    return None


def _reject_duplicate_keys(root: Node) -> None:
    """Refuse a mapping that spells a key twice (entries a merge key brought in aside)."""
    for node in walk(root):
        if not isinstance(node, MappingNode):
            continue
        first_seen: dict[tuple[Optional[str], str], Node] = {}
        for key, _value in own_entries(node):
            text = scalar_key(key)
            if text is None or key.tag == "tag:yaml.org,2002:merge":
                continue
            earlier = first_seen.setdefault((key.tag, text), key)
            if earlier is not key:
                raise DocumentError(
                    f"key {text!r} is given twice, at lines {earlier.start_mark.line + 1}"
                    f" and {key.start_mark.line + 1}; remove one of them",
                    line=key.start_mark.line + 1,
                )


def _position(mark: Any) -> tuple[int, int]:
    return (int(mark.line), int(mark.column))


def entry_end_line(key: Node, value: Node) -> int:
    """The last line holding any text of a mapping entry (not trailing comments).

    A block collection's end mark sits at the next token, past the comments
    that follow it, so this follows the last descendant instead. An alias
    (``*name``) points at a node defined earlier; its own text is one word on
    the line before it.
    """
    floor = _position(key.end_mark)
    node = value
    while True:
        if _position(node.start_mark) < floor:  # an alias to an earlier node
            return floor[0]
        if isinstance(node, MappingNode) and not node.flow_style and node.value:
            entries = own_entries(node)
            if not entries:  # only a merge key, ``<<: *name``, on its first line
                return max(floor[0], int(node.start_mark.line))
            floor = max(floor, _position(entries[-1][0].end_mark))
            node = entries[-1][1]
            continue
        if isinstance(node, SequenceNode) and not node.flow_style and node.value:
            floor = max(floor, _position(node.start_mark))
            node = node.value[-1]
            continue
        if isinstance(node, ScalarNode) and node.value == "" and node.style is None:
            return floor[0]  # an empty value has no text of its own
        end = node.end_mark
        end_line = int(end.line)
        if isinstance(node, ScalarNode) and end_line > node.start_mark.line and end.column == 0:
            end_line -= 1
        return max(floor[0], end_line)
