"""A fast reader for the plain block YAML that configuration files are made of.

ruamel.yaml's pure-Python composer costs several seconds per MiB of
settings, so a large ``datadog.yaml`` or ``values.yaml`` would take minutes.
This module reads the common shape line by line instead: block mappings and
sequences (indentless and compact ``- key: value`` ones too), plain scalars,
quoted scalars on one line (double-quoted ones without escapes), ``[]`` and
``{}``, comments and blank lines. It builds what ruamel would: the same node
classes, tags (from ruamel's own YAML 1.1 resolver), values, styles and
marks, and the data ruamel's constructor would make of them. The tests hold
the two to equality, node by node.

A top-level entry that uses anything else (anchors, tags, block or
multi-line scalars, flow collections) is read by ruamel on its own, its
marks moved to its place; a document this reader cannot cut into top-level
entries at column 0 (directives, ``---``, a root that is not a mapping) is
declined, and :mod:`fipsconf.yamldoc` reads it whole with ruamel.
"""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING, Any, Optional

from fipsconf import yaml11
from fipsconf.errors import DocumentError
from fipsconf.limits import (
    MAX_DEPTH,
    SLOW_READ_LIMIT,
    StructureError,
    number_too_long,
    too_deep,
    too_slow_to_read,
)
from fipsconf.yamlnodes import (
    LineScalarNode,
    MappingNode,
    Mark,
    Node,
    ScalarNode,
    SequenceNode,
    walk,
)

if TYPE_CHECKING:
    from fipsconf.yamldoc import SourceLines

#: The ASCII characters ruamel reads (others, in ASCII text, it refuses).
_PRINTABLE_ASCII = ("\t\n\r" + "".join(map(chr, range(0x20, 0x7F)))).encode("ascii")
#: The characters ruamel's reader refuses: all but tab, LF, CR, 0x20-0x7E, NEL,
#: 0xA0-0xD7FF, 0xE000-0xFFFD and 0x10000-0x10FFFF (its Reader.NON_PRINTABLE).
_NOT_PRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]"
)
#: The start of the document, alone on its line (ruamel's marks are the same as
#: for a comment there).
_DOCUMENT_START = re.compile(r"---(?: +(?:#.*)?)?\Z", re.DOTALL)
#: ``key:`` ends where a colon is followed by a space or the end of the line.
_KEY_END = re.compile(r":(?: |$)")
#: What may follow a scalar on its line: spaces, then a comment.
_TRAILER = re.compile(r"(?: +#.*)? *\Z", re.DOTALL)
#: The commonest lines, read in one match: ``word: value`` and ``- value``, the
#: value plain and free of ``:``, ``#`` and tabs, a comment after it allowed.
#: (Words and the spaces between them never overlap: the match stays linear
#: in the line's length, a line of a million spaces included.)
#: Plain words may hold a colon not followed by a blank (``https://...``):
#: a word is runs of other characters joined by such colons (one repetition
#: per run, not per character: a third faster).
_WORD_CHARACTER = r"(?:[^:#\t ]|:(?![ \t]|\Z))"
_WORD_RUN = r"[^:#\t ]*(?::(?![ \t]|\Z)[^:#\t ]*)*"  # any number of word characters
_SIMPLE_VALUE = (
    rf"(?:(?P<plain>[\w./~+=(<$^]{_WORD_RUN}(?: +{_WORD_CHARACTER}{_WORD_RUN})*)"
    r"""|"(?P<double>[^"\\]*)"|'(?P<single>[^']*)') *(?: #.*)?\Z"""
)
_SIMPLE_ENTRY = re.compile(r"(?P<key>[A-Za-z0-9_][\w.\-/]*): +" + _SIMPLE_VALUE, re.DOTALL)
_SIMPLE_ITEM = re.compile(r"- +" + _SIMPLE_VALUE, re.DOTALL)
_QUOTES = {"double": '"', "single": "'"}
#: What the nesting of a flow collection depends on: brackets, quoted text, comments.
_FLOW_TOKEN = re.compile(r"""[\[\]{}]|'(?:[^']|'')*'?|"(?:[^"\\]|\\.)*"?|(?<=[ \t])#.*""")
#: First characters that make a plain scalar something else (YAML 1.1, block context).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_MAX_KEY = 1000  # ruamel refuses simple keys over 1024 characters
#: Longer lines are read piece by piece: the one-match patterns keep a
#: backtracking record per character (a 16 MiB line took 3 GiB).
_SHORT_LINE = 1000
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_STR = yaml11.STR
#: The types of plain scalars this reader makes the data of (others: ruamel).
_CONSTRUCTED = frozenset((yaml11.NULL, yaml11.BOOL, yaml11.INT, yaml11.FLOAT))


class Declined(Exception):
    """The document is not of the shape this reader handles: read it whole with ruamel.

    ``line``: the first line (1-based) it could not take, when known.
    """

    def __init__(self, line: Optional[int] = None) -> None:
        super().__init__(line)
        self.line = line


class _NotSimple(Exception):
    """This top-level entry is not of the simple shape: read it alone with ruamel."""


#: What the reader made: the root node, the data, whether all of it was plain
#: (every line read by this reader, no key repeated: no alias, anchor, merge
#: key or multi-line scalar), and the numbers of the lines with content (not
#: blank, not a comment; None when not known). A plain tuple: a NamedTuple
#: class costs a millisecond to create, and this module is imported by every
#: command.
Quick = tuple[Optional[Node], Any, bool, Optional[list[int]]]
Parsed = tuple[Node, Any]
#: A mapping entry: its key node and data, its value node and data.
Entry = tuple[Node, Any, Node, Any]


def compose(lines: SourceLines) -> Quick:
    """The node tree and data of the document ``lines`` (its text without a BOM).

    Raises Declined when the document is not for this reader, DocumentError
    for one nested too deeply (and the others :mod:`fipsconf.yamlslow`
    raises for the entries it reads).
    """
    if not _printable(lines.text):
        raise Declined()  # ruamel will say which character
    return _Reader(lines).document()


def recompose(
    old: Quick, old_lines: SourceLines, lines: SourceLines, start: int, end: int
) -> Optional[Quick]:
    """The node tree and data of ``lines``: the text of ``old_lines`` changed between two offsets.

    ``old`` is what :func:`compose` made of ``old_lines``; ``start`` and
    ``end`` are offsets in ``old_lines``' text: only what lies between them
    may differ. Only the lines from the change (or from the start of the
    top-level entry it changes) to the next entry it leaves alone are read
    again, by this reader. The other entries are the same lines, so they
    mean the same data, and keep their nodes: those after the change moved
    to their new lines, and the one just before it ending where the next
    token now starts (its block collections and an empty value end there).
    Entries ruamel read (anchors, block scalars...) are not read again.

    Returns None when that cannot be shown: a character outside the span
    changed; the lines read again give a key twice or hold something this
    reader does not take; the entry before them was read by ruamel; the
    document is not a mapping of entries at column 0. The whole text must
    then be read again. Raises DocumentError for nesting too deep, as
    :func:`compose` does.
    """
    root, data, plain, numbers = old
    if numbers is None or not isinstance(root, MappingNode) or not root.value:
        return None
    entries = root.value
    if not isinstance(data, dict) or len(data) != len(entries):
        return None  # a key spelled two ways (1 and 0x1): entries and data do not pair up
    if entries[0][0].start_mark.column != 0:
        return None  # an indented document is read whole
    old_text, text = old_lines.text, lines.text
    shift = len(text) - len(old_text)
    if not 0 <= start <= end <= len(old_text) or end + shift < start:
        return None
    if text[:start] != old_text[:start] or text[end + shift :] != old_text[end:]:
        return None
    key_lines = [key.start_mark.line for key, _ in entries]
    first = bisect.bisect_right(old_lines.starts, start) - 1  # the first line changed
    last = bisect.bisect_right(old_lines.starts, max(end - 1, start)) - 1  # the last
    holder = bisect.bisect_right(key_lines, first) - 1  # its entry (-1: before the first)
    after = bisect.bisect_right(key_lines, last)  # the first entry after the change
    if holder >= 0 and not isinstance(entries[holder][0], LineScalarNode):
        return None  # ruamel read that entry: a line that looks like a comment may be its value's
    holder_end = key_lines[holder + 1] if holder + 1 < len(entries) else len(old_lines.starts)
    kept = holder + 1  # entries before the change, when the lines from it are comments
    content = bisect.bisect_left(numbers, first)
    if holder >= 0 and content < len(numbers) and numbers[content] < holder_end:
        kept, first = holder, key_lines[holder]  # the change is in this entry: read it again
    # Read to the end of the change, or of the last entry it changes if that
    # goes on after it: the comments between there and the next entry are
    # the same lines, one after the other (the entries read again are read by
    # this reader, which takes no multi-line scalar).
    next_key = key_lines[after] if after < len(entries) else len(old_lines.starts)
    before_next = bisect.bisect_left(numbers, next_key)  # content lines before the next entry
    read_to = max(last, numbers[before_next - 1] if before_next else -1) + 1
    moved_by = len(lines.starts) - len(old_lines.starts)  # for every line after the change
    stop = read_to + moved_by
    if stop < len(lines.starts) and lines.starts[stop] != old_lines.starts[read_to] + shift:
        return None  # a line break joined with the one after it (\r, then \n)
    next_token = Mark((next_key + moved_by, 0)) if after < len(entries) else None
    window = _window(lines, first, stop, next_token, old_lines)
    if window is None and kept:  # the new lines may go on with the entry before: read it too
        kept -= 1
        window = _window(lines, key_lines[kept], stop, next_token, old_lines)
    if window is None:
        return None
    read, next_mark = window
    items = list(data.items())
    pairs = [*items[:kept], *((key, value) for _, key, _, value in read), *items[after:]]
    new_data: dict[Any, Any] = {}
    for key_data, value_data in pairs:
        if key_data in new_data:
            return None  # a key given twice: the whole reading says where
        new_data[key_data] = value_data
    was = Mark((key_lines[kept], 0)) if kept < len(entries) else _stream_end(old_lines)
    if kept and was != next_mark and not isinstance(entries[kept - 1][0], LineScalarNode):
        return None  # the next token moved, after an entry ruamel read: its ends are its own
    memo = None if plain else _unmoved(entries[:kept])  # aliases after the change stay put
    new_entries = [
        *entries[:kept],
        *((key, value) for key, _, value, _ in read),
        *_moved_pairs(entries[after:], moved_by, memo),
    ]
    if not new_entries:
        return None
    if kept:  # the entry before the lines read ends where their first token now is
        key, value = new_entries[kept - 1]
        new_entries[kept - 1] = (key, _reended(value, was, next_mark))
    start_mark = Mark((new_entries[0][0].start_mark.line, 0))
    new_root = MappingNode(_MAP, new_entries, start_mark, _stream_end(lines), False)
    # plain again once no entry ruamel read is left
    plain = plain or all(isinstance(key, LineScalarNode) for key, _ in new_entries)
    return new_root, new_data, plain, None


def _window(
    lines: SourceLines,
    first: int,
    stop: int,
    next_token: Optional[Mark],
    old_lines: SourceLines,
) -> Optional[tuple[list[Entry], Mark]]:
    """The top-level entries on lines ``first`` to ``stop``, and where their first token is.

    None when the lines do not start where they did in the old text (a
    ``\r`` then ``\n`` joined into one line break), do not start with a
    top-level entry, or are not all of the simple shape.
    """
    if lines.starts[first : first + 1] != old_lines.starts[first : first + 1]:
        return None
    end = lines.starts[stop] if stop < len(lines.starts) else len(lines.text)
    if not _printable(lines.text[lines.starts[first] : end]):
        return None
    try:
        reader = _Reader(lines, first, stop, next_token)
        read = reader.window()
    except Declined:
        return None
    if not reader.plain:
        return None
    reader.pos = 0
    return read, reader._next_mark()


def _stream_end(lines: SourceLines) -> Mark:
    """Where ruamel's scanner ends: the end of the last line."""
    last = len(lines.contents) - 1
    return Mark((last, len(lines.contents[last])))


def _reended(node: Node, was: Mark, now: Mark) -> Node:
    """``node``, made by this reader, with its marks at ``was`` (the next token) moved to ``now``.

    Only nodes that end with their entry end there (where the scanner finds
    the next token): the entry's last collections, and an empty value; they
    are copied, the rest is shared. ``was`` must not be where a scalar of
    the entry ends (a content line's end with no line break after it).
    """
    if was == now or node.end_mark != was:
        return node
    if isinstance(node, LineScalarNode):  # an empty value, where the next token was
        return LineScalarNode(node.tag, node.value, node.style, now[0], now[1], now[1])
    start = now if node.start_mark == was else node.start_mark
    if isinstance(node, MappingNode):
        entries = list(node.value)
        key, value = entries[-1]
        entries[-1] = (key, _reended(value, was, now))
        return MappingNode(node.tag, entries, start, now, node.flow_style)
    assert isinstance(node, SequenceNode)
    items = list(node.value)
    items[-1] = _reended(items[-1], was, now)
    return SequenceNode(node.tag, items, start, now, node.flow_style)


def _unmoved(entries: list[tuple[Node, Node]]) -> dict[int, Node]:
    """Each node of the entries ruamel read (their anchors may be aliased later), as itself."""
    memo: dict[int, Node] = {}
    for key, value in entries:
        if not isinstance(key, LineScalarNode):
            memo.update((id(node), node) for part in (key, value) for node in walk(part))
    return memo


def _moved(node: Node, lines: int, memo: Optional[dict[int, Node]] = None) -> Node:
    """``node``, ``lines`` lines further down (a copy, unless 0).

    ``memo`` (for a tree with aliases): the copies made so far, by the id of
    their node, so that an aliased node is copied once.
    """
    if not lines:
        return node
    if memo is not None and id(node) in memo:
        return memo[id(node)]
    copied: Node
    if isinstance(node, LineScalarNode):
        copied = LineScalarNode(
            node.tag, node.value, node.style, node.line + lines, node.start_column, node.end_column
        )
    else:
        start = Mark((node.start_mark.line + lines, node.start_mark.column))
        end = Mark((node.end_mark.line + lines, node.end_mark.column))
        if isinstance(node, ScalarNode):
            copied = ScalarNode(node.tag, node.value, start, end, node.style, node.anchor)
        elif isinstance(node, MappingNode):
            mapping = MappingNode(node.tag, [], start, end, node.flow_style, node.anchor)
            if memo is not None:
                memo[id(node)] = mapping
            mapping.value = _moved_pairs(node.value, lines, memo)
            if node.merge:
                mapping.merge = _moved_pairs(node.merge, lines, memo)
            copied = mapping
        else:
            assert isinstance(node, SequenceNode)
            sequence = SequenceNode(node.tag, [], start, end, node.flow_style, node.anchor)
            if memo is not None:
                memo[id(node)] = sequence
            sequence.value = [_moved(item, lines, memo) for item in node.value]
            copied = sequence
    if memo is not None:
        memo[id(node)] = copied
    return copied


def _moved_pairs(
    pairs: list[tuple[Node, Node]], lines: int, memo: Optional[dict[int, Node]]
) -> list[tuple[Node, Node]]:
    """Each (key, value) pair, moved as :func:`_moved` moves a node."""
    return [(_moved(key, lines, memo), _moved(value, lines, memo)) for key, value in pairs]


class _Reader:
    """Reads the lines ``first`` to ``stop`` of ``lines`` (all of them by default).

    ``after``: where the next token after those lines is (by default, the
    end of the text): block collections and empty values end there.
    """

    def __init__(
        self,
        lines: SourceLines,
        first: int = 0,
        stop: Optional[int] = None,
        after: Optional[Mark] = None,
    ) -> None:
        self.lines = lines
        self.values: dict[tuple[str, str], Any] = {}  # plain scalars' data, by tag and text
        self.numbers: list[int] = []
        self.columns: list[int] = []
        self.texts: list[str] = []
        self._content_lines(first, stop)
        self.count = len(self.texts)
        self.pos = 0
        self.plain = True
        self.slow = 0  # characters handed to ruamel
        self.stream_end = _stream_end(lines) if after is None else after

    # -- the document and its top-level entries ---------------------------

    def document(self) -> Quick:
        if not self.count:
            return None, None, True, self.numbers
        first_text = self.texts[0]
        if _is_entry(first_text):
            raise Declined()  # a top-level sequence
        column = self.columns[0]
        if column != 0:  # an indented document: all of it, or none
            try:
                node, node_data = self._mapping_node(self._take(), column, first_text, 1)
            except _NotSimple:
                raise Declined() from None
            if self.pos != self.count:
                raise Declined()
            return node, node_data, self.plain, self.numbers
        segments = self._segments()
        read = [self._segment(start, end) for start, end in segments]
        others = [segment for segment, done in zip(segments, read) if done is None]
        if others:
            self.plain = False
            slow = iter(self._with_ruamel(others))
            read = [done if done is not None else next(slow) for done in read]
        entries: list[tuple[Node, Node]] = []
        data: dict[Any, Any] = {}
        for done in read:
            assert done is not None
            key, key_data, value, value_data = done
            entries.append((key, value))
            if key_data in data:
                self.plain = False  # yamldoc's check names a key written twice
            else:
                data[key_data] = value_data
        start_mark = Mark((self.numbers[0], 0))
        root = MappingNode(_MAP, entries, start_mark, self.stream_end, False)
        return root, data, self.plain, self.numbers

    def window(self) -> list[Entry]:
        """The top-level entries of the lines read, each of the simple shape.

        Raises Declined when the lines do not start with a top-level entry
        (they would continue the entry before them) or hold one this
        reader does not take.
        """
        if not self.count:
            return []
        if self.columns[0] != 0 or _is_entry(self.texts[0]):
            raise Declined()
        entries = []
        for start, end in self._segments():
            entry = self._segment(start, end)
            if entry is None:
                raise Declined()
            entries.append(entry)
        return entries

    def _segments(self) -> list[tuple[int, int]]:
        """(first, end) content line indexes of each top-level entry.

        Each starts at column 0 (a "- " there belongs to an indentless
        sequence, the value of the entry before it).
        """
        starts = [
            i
            for i, (col, text) in enumerate(zip(self.columns, self.texts))
            if col == 0 and not _is_entry(text)
        ]
        starts.append(self.count)
        return list(zip(starts, starts[1:]))

    def _segment(self, start: int, end: int) -> Optional[Entry]:
        """The top-level entry on content lines ``start`` to ``end``; None if not simple."""
        self.pos = start
        try:
            index = self._take()
            entry = self._entry(index, 0, self.texts[index], 0, 2)
        except _NotSimple:
            return None
        return entry if self.pos == end else None

    def _with_ruamel(self, segments: list[tuple[int, int]]) -> list[Entry]:
        """The top-level entries this reader could not take, read together by ruamel.

        ``segments``: (first, end) content line indexes of each entry, in
        order. Their text, put together, is a document of those entries
        alone (an anchor defined in one and used in another still works:
        only such entries hold anchors); its marks are then moved back to
        the lines of the whole text. If an entry does not end where its text
        does (a flow collection or a quoted value going on past a line at
        column 0), the whole document goes to ruamel instead.
        """
        lines = self.lines
        pieces: list[str] = []
        origin: list[int] = []  # line of the pieces -> line of the whole text
        piece_ends: dict[int, int] = {}  # a piece's first line -> where the one before ends
        stop = 0
        for start, end in segments:
            first = self.numbers[start]
            if origin:
                piece_ends[len(origin)] = stop
            stop = self.numbers[end] if end < self.count else len(lines.contents)
            text_stop = lines.starts[stop] if end < self.count else len(lines.text)
            pieces.append(
                self._without_comment_text(first, self.numbers[end - 1] + 1, stop, text_stop)
            )
            origin.extend(range(first, stop))
        origin.append(stop)  # the end of the pieces: the line after the last in the text
        text = "".join(pieces)
        first_line = self.numbers[segments[0][0]] + 1
        self.slow += len(text)
        if self.slow > SLOW_READ_LIMIT:
            raise too_slow_to_read(self.slow, first_line)
        from fipsconf import yamlslow

        try:
            built, mapping = yamlslow.read_entries(text)
        except StructureError as exc:  # a hostile shape: real; its line in the whole text
            line = origin[exc.line - 1] + 1 if exc.line else None
            raise StructureError(exc.message, line=line) from None
        except DocumentError:  # cut at the wrong place, or wrong: the whole text will tell
            raise Declined(first_line) from None
        if (
            not mapping
            or len(built) != len(segments)
            or any(
                key.tag == yaml11.MERGE or not isinstance(key, ScalarNode) for key, _, _, _ in built
            )
        ):
            # an entry ran on into the next, a << at the top, or a collection as a key
            raise Declined(first_line)
        keys = {id(key.start_mark) for key, _, _, _ in built}
        moved: set[int] = set()
        nodes = (node for key, _, value, _ in built for part in (key, value) for node in walk(part))
        for node in nodes:
            for mark in (node.start_mark, node.end_mark):
                if id(mark) in moved:
                    continue
                moved.add(id(mark))
                if mark.line in piece_ends and mark.column == 0 and id(mark) not in keys:
                    mark.line = piece_ends[mark.line]  # where the entry before ends
                else:
                    mark.line = origin[mark.line]
        return built

    def _without_comment_text(self, first: int, after: int, stop: int, text_stop: int) -> str:
        """The text of lines ``first`` to ``stop``, the comments after its content cut short.

        From the first comment at column 0 after the entry's last content line
        (``after`` on), each comment line is reduced to its ``#``: ruamel then
        reads the entry, not the rest of the vendor's 166 KiB of documentation
        after a flow list. Such a line ends every value of a top-level entry (a
        block scalar's content is indented; a quoted value left open there fails
        to read either way, and the whole text goes to ruamel); the lines keep
        their number and line breaks, so every mark stays where it was. The last
        line of the text is kept whole: the end of the stream is after it.
        """
        lines = self.lines
        contents = lines.contents
        cut = next((n for n in range(after, stop) if contents[n][:1] == "#"), None)
        if cut is None:
            return lines.text[lines.starts[first] : text_stop]
        kept = [lines.text[lines.starts[first] : lines.starts[cut]]]
        for number in range(cut, stop):
            start, end = lines.starts[number], lines.content_end(number)
            is_last = number == len(contents) - 1
            if is_last or not contents[number].lstrip(" ").startswith("#"):
                kept.append(lines.text[start : min(lines.next_start(number), text_stop)])
            else:
                kept.append("#" + lines.text[end : lines.next_start(number)])
        return "".join(kept)

    # -- blocks -----------------------------------------------------------

    def _mapping_node(self, index: int, column: int, text: str, depth: int) -> Parsed:
        """A block mapping whose first key is ``text``, at ``column`` of content line ``index``.

        ``text`` is the line's own text, or what follows ``- `` for a
        compact mapping in a sequence item.
        """
        number = self.numbers[index]
        if depth > MAX_DEPTH:
            raise too_deep(number + 1)
        start = Mark((number, column))
        entries: list[tuple[Node, Node]] = []
        data: dict[Any, Any] = {}
        columns, texts = self.columns, self.texts
        while True:
            key, key_data, value, value_data = self._entry(index, column, text, column, depth + 1)
            entries.append((key, value))
            if key_data in data:
                self.plain = False  # yamldoc's check names a key written twice
            else:
                data[key_data] = value_data
            pos = self.pos
            if pos >= self.count or columns[pos] < column:
                break
            if columns[pos] > column or _is_entry(texts[pos]):
                raise _NotSimple()
            index = self._take()
            text = texts[index]
        return MappingNode(_MAP, entries, start, self._next_mark(), False), data

    def _sequence_node(self, index: int, column: int, depth: int) -> Parsed:
        """A block sequence whose first ``-`` is at ``column`` of content line ``index``."""
        numbers, columns, texts = self.numbers, self.columns, self.texts
        if depth > MAX_DEPTH:
            raise too_deep(numbers[index] + 1)
        start = Mark((numbers[index], column))
        items: list[Node] = []
        data: list[Any] = []
        while True:
            number, text = numbers[index], texts[index]
            simple = _SIMPLE_ITEM.match(text) if len(text) <= _SHORT_LINE else None
            if simple is not None:
                item, item_data = self._simple_value(simple, number, column)
                pos = self.pos
                if pos < self.count and columns[pos] > column:
                    raise _NotSimple()  # a continuation line, or an error
                items.append(item)
                data.append(item_data)
                if pos >= self.count or columns[pos] != column or not _is_entry(texts[pos]):
                    break
                index = self._take()
                continue
            after = text[1:]
            rest = after.lstrip(" ")
            item_column = column + len(text) - len(rest)
            if not rest or rest[0] == "#":
                # an empty item's null sits right after its "-" (the end of that token)
                dash_end = Mark((number, column + 1))
                item, item_data = self._nested_or_null(column, depth + 1, dash_end)
            elif _is_entry(rest):
                raise _NotSimple()
            elif _key_end(rest) is not None:
                item, item_data = self._mapping_node(index, item_column, rest, depth + 1)
            else:
                item, item_data = self._scalar(number, item_column, rest)
                pos = self.pos
                if pos < self.count and columns[pos] > column:
                    raise _NotSimple()  # a continuation line, or an error
            items.append(item)
            data.append(item_data)
            pos = self.pos
            if pos >= self.count or columns[pos] != column or not _is_entry(texts[pos]):
                if pos < self.count and columns[pos] > column:
                    raise _NotSimple()
                break
            index = self._take()
        return SequenceNode(_SEQ, items, start, self._next_mark(), False), data

    def _entry(self, index: int, line_column: int, text: str, column: int, depth: int) -> Entry:
        """Key and value of the mapping entry ``text`` at ``line_column`` of line ``index``.

        ``column``: the column of the mapping; ``depth``: the value's nesting level.
        """
        number = self.numbers[index]
        simple = _SIMPLE_ENTRY.match(text) if len(text) <= _SHORT_LINE else None
        if simple is not None:
            key_end = simple.end("key")
            key, key_data = self._scalar_node(
                text[:key_end], None, number, line_column, line_column + key_end
            )
            value, value_data = self._simple_value(simple, number, line_column)
            pos = self.pos
            if pos < self.count and self.columns[pos] > column:
                raise _NotSimple()  # a continuation line, or an error
            return key, key_data, value, value_data
        key, key_data = self._key(number, line_column, text)
        value, value_data = self._value(index, line_column, text, key, column, depth)
        return key, key_data, value, value_data

    def _simple_value(self, simple: re.Match[str], number: int, column: int) -> Parsed:
        """The value a _SIMPLE_ENTRY or _SIMPLE_ITEM match found (``column``: the text's)."""
        kind = simple.lastgroup
        assert kind is not None
        start, end = simple.span(kind)
        if kind == "plain":
            return self._scalar_node(simple.group(kind), None, number, column + start, column + end)
        # the marks take in the quotes
        return self._scalar_node(
            simple.group(kind), _QUOTES[kind], number, column + start - 1, column + end + 1
        )

    def _value(
        self, index: int, line_column: int, text: str, key: Node, column: int, depth: int
    ) -> Parsed:
        """The value of ``key``, written on content line ``index`` (``text`` at ``line_column``).

        ``column``: the column of the mapping the key belongs to.
        """
        colon = key.end_mark.column - line_column
        after = text[colon + 1 :]
        rest = after.lstrip(" ")
        if not rest or rest[0] == "#":
            pos = self.pos
            if pos < self.count and self.columns[pos] == column and _is_entry(self.texts[pos]):
                return self._sequence_node(self._take(), column, depth)  # indentless
            return self._nested_or_null(column, depth)
        value = self._scalar(
            self.numbers[index], line_column + colon + 1 + len(after) - len(rest), rest
        )
        pos = self.pos
        if pos < self.count and self.columns[pos] > column:
            raise _NotSimple()  # a continuation line, or an error
        return value

    def _nested_or_null(self, column: int, depth: int, null_mark: Any = None) -> Parsed:
        """What follows an empty value: a block more indented than ``column``, else null.

        The null's mark is ``null_mark``, by default where the next token starts.
        """
        pos = self.pos
        if pos < self.count and self.columns[pos] > column:
            index = self._take()
            text = self.texts[index]
            if _is_entry(text):
                return self._sequence_node(index, self.columns[index], depth)
            return self._mapping_node(index, self.columns[index], text, depth)
        mark = null_mark or self._next_mark()
        return self._scalar_node("", None, mark[0], mark[1], mark[1])

    # -- scalars ----------------------------------------------------------

    def _key(self, number: int, column: int, text: str) -> Parsed:
        """The key at the start of ``text`` (its end mark is the colon's column)."""
        if text[0] in "'\"":
            value, style, length = _quoted(text)
            if text[length : length + 1] != ":" or text[length + 1 : length + 2] not in ("", " "):
                raise _NotSimple()
        else:
            if text[0] in "[{":
                _check_flow_depth(text, number)
            end = _key_end(text)
            if end is None:
                raise _NotSimple()
            value, style, length = text[:end], None, end
            if not _plain(value) or len(value) > _MAX_KEY or value == "<<":
                raise _NotSimple()
        return self._scalar_node(value, style, number, column, column + length)

    def _scalar(self, number: int, column: int, text: str) -> Parsed:
        """The value written at ``column`` of line ``number``: ``text`` to the line's end."""
        first = text[0]
        if first in "'\"":
            value, style, length = _quoted(text)
        elif first in "[{" and text[1:2] in "]}" and text[:2] in ("[]", "{}"):
            if not _TRAILER.match(text, 2):
                raise _NotSimple()
            start, end = Mark((number, column)), Mark((number, column + 2))
            if first == "[":
                return SequenceNode(_SEQ, [], start, end, True), []
            return MappingNode(_MAP, [], start, end, True), {}
        else:
            if first in "[{":
                _check_flow_depth(text, number)
            comment = text.find(" #")
            value = (text if comment < 0 else text[:comment]).rstrip(" ")
            if not _plain(value) or ": " in value or value[-1] == ":":
                raise _NotSimple()
            return self._scalar_node(value, None, number, column, column + len(value))
        if not _TRAILER.match(text, length):
            raise _NotSimple()
        return self._scalar_node(value, style, number, column, column + length)

    def _scalar_node(
        self, value: str, style: Optional[str], line: int, start: int, end: int
    ) -> Parsed:
        """The scalar ``value`` on ``line``, from column ``start`` to ``end``, and its data."""
        if style is not None or (value and value[0] not in yaml11.TYPED_FIRST):
            return LineScalarNode(_STR, value, style, line, start, end), value  # most scalars
        try:
            tag = yaml11.tag_of(value)
            node = LineScalarNode(tag, value, style, line, start, end)
            if tag == _STR:
                return node, value
            cached = (tag, value)
            if cached not in self.values:
                if tag not in _CONSTRUCTED:
                    raise _NotSimple()  # a timestamp, "=", "<<": ruamel reads the entry
                self.values[cached] = yaml11.construct(tag, value)
        except yaml11.TooLong:
            raise number_too_long(len(value), line + 1) from None
        except yaml11.ScalarError:
            raise DocumentError(
                "holds a value that YAML 1.1 reads as a number but is not a valid one;"
                " quote it if it is text",
                line=line + 1,
            ) from None
        return node, self.values[cached]

    # -- lines and marks --------------------------------------------------

    def _content_lines(self, begin: int, stop: Optional[int]) -> None:
        """Number, column and text of each line with content (not blank, not a comment)."""
        numbers, columns, texts = self.numbers, self.columns, self.texts
        marked = False
        for number, content in enumerate(self.lines.contents[begin:stop], begin):
            text = content.lstrip(" ")
            if not text or text[0] == "#":
                continue  # blank, or a comment (after spaces only: a tab is refused below)
            column = len(content) - len(text)
            first = text[0]
            if not (column or numbers or begin or marked) and _DOCUMENT_START.match(text):
                marked = True  # "---" before any content: where the document starts
                continue
            if first == "\t" or (not column and (first == "%" or text[:3] in ("---", "..."))):
                raise Declined()  # tabs as indentation, directives, other document markers
            numbers.append(number)
            columns.append(column)
            texts.append(text)

    def _take(self) -> int:
        """The next content line's index; _NotSimple for one with a tab outside a comment."""
        index = self.pos
        self.pos += 1
        text = self.texts[index]
        if "\t" in text:
            hash_at = text.find("#")
            if "\t" in (text if hash_at < 0 else text[:hash_at]):
                raise _NotSimple()
        return index

    def _next_mark(self) -> Mark:
        """Where ruamel's scanner finds the next token: the next content, else the end."""
        pos = self.pos
        if pos >= self.count:
            return self.stream_end
        return Mark((self.numbers[pos], self.columns[pos]))


def _printable(text: str) -> bool:
    """True when ruamel's reader accepts every character of ``text``.

    ASCII text by deleting the accepted bytes (as ruamel does), other text
    by looking for one of the characters ruamel refuses: the complement of
    its accepted set, a few short ranges (ruamel's own pattern for the
    accepted set takes a tenth of a second to compile).
    """
    if text.isascii():
        return not text.encode("ascii").translate(None, _PRINTABLE_ASCII)
    return _NOT_PRINTABLE.search(text) is None


def _check_flow_depth(text: str, number: int) -> None:
    """Refuse a flow collection at the start of ``text`` nested beyond MAX_DEPTH on its line.

    ruamel would refuse it too, after a second of looking ahead for keys;
    in flow context every bracket outside quotes and comments is structure.
    """
    depth = 0
    for match in _FLOW_TOKEN.finditer(text):
        token = match.group()
        if token == "[" or token == "{":
            depth += 1
            if depth > MAX_DEPTH:
                raise too_deep(number + 1)
        elif token == "]" or token == "}":
            depth -= 1
            if depth == 0:
                return


def _is_entry(text: str) -> bool:
    """True for a block sequence entry: ``-`` then a space or the end of the line."""
    return text[0] == "-" and (len(text) == 1 or text[1] == " ")


def _key_end(text: str) -> Optional[int]:
    """Where the plain key at the start of ``text`` ends (its colon), or None."""
    match = _KEY_END.search(text)
    if match is None:
        return None
    end = match.start()
    if end == 0 or text[end - 1] == " " or " #" in text[:end]:
        return None
    return end


def _plain(text: str) -> bool:
    """True when ``text`` is read as one plain scalar in block context (YAML 1.1)."""
    if not text:
        return False
    first = text[0]
    if first in _INDICATORS:
        return first in "-?:" and len(text) > 1 and text[1] != " "
    return True


def _quoted(text: str) -> tuple[str, str, int]:
    """A quoted scalar at the start of ``text``: its value, style and length, on one line."""
    quote = text[0]
    if quote == "'":
        at = 1
        while True:
            close = text.find("'", at)
            if close < 0:
                raise _NotSimple()
            if text[close + 1 : close + 2] == "'":
                at = close + 2
                continue
            return text[1:close].replace("''", "'"), "'", close + 1
    close = text.find('"', 1)
    if close < 0 or "\\" in text[1:close]:
        raise _NotSimple()
    return text[1:close], '"', close + 1
