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

import contextlib
import gc
import re
from bisect import bisect_right
from itertools import accumulate
from typing import Any, Iterator, NamedTuple, Optional, Union

from fipsconf import yamlquick
from fipsconf.errors import DocumentError
from fipsconf.limits import SLOW_READ_LIMIT, StructureError, too_slow_to_read
from fipsconf.yamlnodes import MappingNode, Node, ScalarNode, SequenceNode, walk

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

    @classmethod
    def edited(cls, old: "SourceLines", text: str, start: int, end: int) -> "SourceLines":
        """The lines of ``text``: the text of ``old`` with what lay between two offsets changed.

        The same as ``SourceLines(text)``, in a fraction of the time and memory:
        the lines before and after the change are ``old``'s own strings; only
        the lines it touches are split again. (The whole text is split when
        the change ends a line with a CR that the next line's LF joins.)
        """
        shift = len(text) - len(old.text)
        first = bisect_right(old.starts, start) - 1  # the line the change starts on
        stop = bisect_right(old.starts, end)  # the line after the one it ends on
        begin = old.starts[first]
        finish = old.starts[stop] if stop < len(old.starts) else len(old.text)
        if not begin <= start <= end <= finish or finish + shift < begin:
            return cls(text)
        if text[:begin] != old.text[:begin] or text[finish + shift :] != old.text[finish:]:
            return cls(text)
        middle = text[begin : finish + shift]
        if begin and text[begin - 1] == "\r" and middle.startswith("\n"):
            return cls(text)  # CR LF across the start: one line break, not two
        parts = LINE_BREAK_SPLIT.split(middle)
        contents, breaks = parts[0::2], parts[1::2]
        if stop < len(old.starts):  # the middle ends with the break before the next line
            contents.pop()
        lines = cls.__new__(cls)
        lines.text = text
        lines.contents = [*old.contents[:first], *contents, *old.contents[stop:]]
        lines.breaks = [*old.breaks[:first], *breaks, *old.breaks[stop:]]
        lengths = (len(content) + len(brk) for content, brk in zip(contents, breaks))
        middle_starts = accumulate(lengths, initial=begin)
        lines.starts = [
            *old.starts[:first],
            *middle_starts,
            *(line_start + shift for line_start in old.starts[stop + 1 :]),
        ]
        lines.newline = lines.breaks[0] if lines.breaks else "\n"
        return lines

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
    #: The lines with content, neither blank nor a comment (None: not known).
    content_lines: Optional[list[int]] = None

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
    for less work: when the fast reader read ``old``, only the top-level
    entries around the change are read again, once the rest of the text is
    shown to be the same (see :func:`fipsconf.yamlquick.recompose`).
    """
    with _collector_paused():
        bom = BOM if text.startswith(BOM) else ""
        if bom != old.bom:
            return _parse(text)
        lines = SourceLines.edited(old.lines, text[len(bom) :], start, end)
        if old.content_lines is not None:  # the fast reader read it, in top-level entries
            old_quick = (old.root, old.data, old.plain, old.content_lines)
            quick = yamlquick.recompose(old_quick, old.lines, lines, start, end)
            if quick is not None:
                root, data, plain, _numbers = quick
                return YamlDocument(bom=bom, lines=lines, root=root, data=data, plain=plain)
        return _parse_lines(bom, lines)


def _parse(text: str) -> YamlDocument:
    bom = BOM if text.startswith(BOM) else ""
    return _parse_lines(bom, SourceLines(text[len(bom) :]))


def _parse_lines(bom: str, lines: SourceLines) -> YamlDocument:
    try:
        root, data, plain, numbers = yamlquick.compose(lines)
    except yamlquick.Declined as declined:
        read = _read_without_comment_lines(lines, declined.line)
        if read is None:
            if len(lines.text) > 8 * SLOW_READ_LIMIT:  # comments cost ruamel less
                raise too_slow_to_read(len(lines.text), declined.line) from None
            from fipsconf import yamlslow

            read = yamlslow.read(lines.text)
        root, data = read
        if root is not None:
            _reject_duplicate_keys(root)
        return YamlDocument(bom=bom, lines=lines, root=root, data=data)
    if root is not None and not plain:
        _reject_duplicate_keys(root)
    return YamlDocument(
        bom=bom, lines=lines, root=root, data=data, plain=plain, content_lines=numbers
    )


def _read_without_comment_lines(
    lines: SourceLines, hint: Optional[int] = None
) -> Optional[tuple[Optional[Node], Any]]:
    """Read the document with comment and blank lines left out, when that is sound.

    Marks in the returned tree are moved back to the lines of the full text.
    Returns None when the shortcut does not apply: nothing to leave out, an
    error (reported from the full text instead), or a left-out line inside
    a multi-line scalar, where it would have been content. Raises
    StructureError (its line in the full text) for a hostile shape, and for
    more content than the slow reader takes (``hint``: the line to name then).
    """
    from fipsconf import yamlslow

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
        return None
    try:
        root, data = yamlslow.read(short)
    except StructureError as exc:  # its line, in the full text
        line = kept[min(exc.line, len(kept)) - 1] + 1 if exc.line and kept else exc.line
        raise StructureError(exc.message, line=line) from None
    except DocumentError:
        return None
    if root is None:
        return None, None
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
        return None
    return root, data


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
