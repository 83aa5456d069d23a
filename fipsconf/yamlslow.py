"""The complete reader: ruamel.yaml (pure Python, YAML 1.1), for what the fast reader does not take.

Loaded only when a document needs it (loading ruamel.yaml costs a fifth of
a short command's time). Each function composes the text with ruamel,
refuses hostile shapes (nesting, alias bombs, long integers, too many
values), constructs the data, and copies ruamel's nodes into :mod:`fipsconf.yamlnodes` (after
constructing, which puts a merge key's entries in place), so the editors see
one kind of tree. Every error is a one-line DocumentError with its line.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode as RuamelMapping
from ruamel.yaml.nodes import Node as RuamelNode
from ruamel.yaml.nodes import ScalarNode as RuamelScalar
from ruamel.yaml.nodes import SequenceNode as RuamelSequence

from fipsconf.errors import DocumentError
from fipsconf.limits import (
    ALIAS_BUDGET,
    MAX_DEPTH,
    MAX_NUMBER_LENGTH,
    SLOW_READ_VALUES,
    number_too_long,
    refers_to_itself,
    too_deep,
    too_many_aliases,
    too_many_slow_values,
)
from fipsconf.yamlnodes import MappingNode, Node, ScalarNode, SequenceNode

#: A mapping entry: its key node and data, its value node and data.
Entry = tuple[Node, Any, Node, Any]


def read(text: str) -> tuple[Optional[Node], Any]:
    """The node tree (None for a document without content) and the data of ``text``.

    Raises DocumentError (StructureError for a hostile shape) with its line.
    """
    root = _compose(text)
    if root is None:
        return None, None
    data = _construct(root)
    return _copy(root, {}), data


def read_entries(text: str) -> tuple[list[Entry], bool]:
    """The top-level entries of ``text`` (a mapping), each with the data of its key and value.

    The root mapping itself is not constructed: a ``<<`` at the top stays an
    entry. One constructor reads them all, so an alias in one entry shares
    the data of the anchor in another. The flag is False when the document
    is not a block mapping. Raises DocumentError with its line.
    """
    root = _compose(text)
    if not isinstance(root, RuamelMapping):
        return [], False
    yaml = _yaml()
    construct = yaml.constructor.construct_object
    entries: list[Entry] = []
    memo: dict[int, Node] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for key, value in root.value:
                key_data = construct(key, deep=True)
                value_data = construct(value, deep=True)
                entries.append((_copy(key, memo), key_data, _copy(value, memo), value_data))
    except YAMLError as exc:
        raise _document_error(exc) from None
    except (TypeError, ValueError, IndexError) as exc:  # e.g. an unhashable key
        raise DocumentError(f"cannot be read: {type(exc).__name__}") from None
    return entries, True


class _BoundedComposer(Composer):  # type: ignore[misc]
    """ruamel's composer, refusing collections nested more than MAX_DEPTH deep,
    and more than SLOW_READ_VALUES values.

    Its recursion would otherwise end in a RecursionError (a traceback), and
    it takes tens of microseconds a value (flow collections look ahead for
    keys): a document built of them would take seconds.
    """

    nesting = 0
    composed = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.composed += 1
        if self.composed > SLOW_READ_VALUES:
            raise too_many_slow_values(self.parser.peek_event().start_mark.line + 1)
        return super().compose_node(parent, index)

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
        if len(node.value) > MAX_NUMBER_LENGTH:
            raise number_too_long(len(node.value), node.start_mark.line + 1)
        return super().construct_yaml_int(node)


_BoundedConstructor.add_constructor("tag:yaml.org,2002:int", _BoundedConstructor.construct_yaml_int)


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 1)
    yaml.Composer = _BoundedComposer
    yaml.Constructor = _BoundedConstructor
    yaml.allow_duplicate_keys = True  # the caller names a key given twice, with both lines
    return yaml


def _compose(text: str) -> Optional[RuamelNode]:
    """ruamel's node tree of ``text``. Raises DocumentError (hostile structure included)."""
    yaml = _yaml()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            node = yaml.compose(text)
    except YAMLError as exc:
        raise _document_error(exc) from None
    if not isinstance(node, RuamelNode):
        return None
    if yaml.composer.anchors:  # without an anchor there is no alias
        _check_aliases(node)
    return node


def _check_aliases(root: RuamelNode) -> None:
    """Refuse a tree whose aliases expand it without bound, nest it too deep, or loop.

    The expanded size and depth of each collection (every alias counted as
    a copy of what it names) is computed once per node, in time linear in
    the tree. Raises StructureError with the line where a limit is passed.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    scalars: set[int] = set()
    finished: list[RuamelNode] = []  # collections, children before parents
    open_nodes: set[int] = set()
    work: list[tuple[RuamelNode, Optional[list[RuamelNode]]]] = [(root, None)]
    while work:
        node, children = work.pop()
        key = id(node)
        if children is not None:  # all its children are done
            total, deepest = 1, 0  # a scalar is not a level (as for the composer)
            for child in children:
                if isinstance(child, RuamelScalar):
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
        work.extend((child, None) for child in children if not isinstance(child, RuamelScalar))
    limit = len(size) + len(scalars) + ALIAS_BUDGET  # what it holds, and then some
    for node in finished:
        if size[id(node)] > limit:
            raise too_many_aliases(node.start_mark.line + 1)
        if depth[id(node)] > MAX_DEPTH:
            raise too_deep(node.start_mark.line + 1)


def _children(node: RuamelNode) -> list[RuamelNode]:
    if isinstance(node, RuamelMapping):
        return [part for pair in node.value for part in pair]
    if isinstance(node, RuamelSequence):
        return list(node.value)
    return []


def _construct(root: RuamelNode) -> Any:
    yaml = _yaml()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return yaml.constructor.construct_document(root)
    except YAMLError as exc:
        raise _document_error(exc) from None
    except (TypeError, ValueError, IndexError) as exc:  # e.g. an unhashable key, 0x_
        line = root.start_mark.line + 1
        raise DocumentError(f"cannot be read: {type(exc).__name__}", line=line) from None


def _copy(node: RuamelNode, memo: dict[int, Node]) -> Node:
    """``node``'s tree in :mod:`fipsconf.yamlnodes` classes, marks shared; an aliased node once.

    Depth is bounded by the composer and the alias check, so recursion is safe.
    """
    done = memo.get(id(node))
    if done is not None:
        return done
    copied: Node
    tag, start, end, anchor = str(node.tag), node.start_mark, node.end_mark, node.anchor
    if isinstance(node, RuamelScalar):
        copied = ScalarNode(tag, node.value, start, end, node.style, anchor)
    elif isinstance(node, RuamelSequence):
        copied = SequenceNode(tag, [], start, end, node.flow_style, anchor)
        memo[id(node)] = copied
        copied.value = [_copy(item, memo) for item in node.value]
    else:
        assert isinstance(node, RuamelMapping)
        mapping = MappingNode(tag, [], start, end, node.flow_style, anchor)
        memo[id(node)] = copied = mapping
        mapping.value = [(_copy(key, memo), _copy(value, memo)) for key, value in node.value]
        merge = getattr(node, "merge", None)
        if merge:
            mapping.merge = [(_copy(key, memo), _copy(value, memo)) for key, value in merge]
    memo[id(node)] = copied
    return copied


def _document_error(exc: YAMLError) -> DocumentError:
    """A one-line error from a ruamel error: what is wrong, in words, and what to do.

    It never quotes the document's text (a secret may be on that line).
    """
    if isinstance(exc, MarkedYAMLError):
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and problem.startswith("but "):  # "expected one document, but..."
            problem = f"{exc.context}, {problem}"
        mark = exc.problem_mark or exc.context_mark
        opened = exc.context_mark.line + 1 if exc.context_mark is not None else None
        said = _in_words(problem, opened)
        if mark is not None:
            return DocumentError(
                f"invalid YAML (column {mark.column + 1}): {said}", line=mark.line + 1
            )
        return DocumentError(f"invalid YAML: {said}")
    reason = getattr(exc, "reason", None) or type(exc).__name__
    return DocumentError(f"invalid YAML: {reason}")


#: ruamel's words for a problem -> what it means and what to do (``{opened}``: the
#: line where the collection or quoted value that is not closed begins).
_EXPLAINED = (
    (
        "found character '\\t' that cannot start any token",
        "a tab where YAML allows only spaces (indentation is spaces only); replace the tab"
        " with spaces",
    ),
    (
        "that cannot start any token",
        "a value cannot start with this character in YAML; put the value in quotes",
    ),
    (
        "expected a single document in the stream",
        "a second YAML document starts here (a '---' line); the file must hold one: remove"
        " the '---' line, or merge the two",
    ),
    (
        "expected ',' or ']'",
        "the list opened with '[' on line {opened} is not closed, or two of its items have no"
        " comma between them; close it with ']'",
    ),
    (
        "expected ',' or '}'",
        "the mapping opened with '{{' on line {opened} is not closed, or two of its entries"
        " have no comma between them; close it with '}}'",
    ),
    (
        "expected the node content, but found '<stream end>'",
        "the file ends inside a '[' list or a '{{' mapping; close it",
    ),
    (
        "expected <block end>",
        "this line is not indented like the lines above it: the keys of one mapping start in"
        " the same column, and a value's lines are indented more than its key",
    ),
    (
        "mapping values are not allowed here",
        "a ': ' where this value cannot have one; put the value in quotes, or write the"
        " mapping one key a line",
    ),
    (
        "could not find expected ':'",
        "a line in a mapping that is not 'key: value' (from line {opened} on); add ': ' after"
        " the key, or indent the line under the key it continues",
    ),
    (
        "found unexpected end of stream",
        "the quoted value that starts on line {opened} is not closed; add the closing quote",
    ),
    (
        "found unknown escape character",
        "a backslash sequence YAML does not know in a double-quoted value; double the"
        " backslash, or use single quotes",
    ),
    ("found undefined alias", "an alias (*name) with no anchor (&name) before it"),
)


def _in_words(problem: str, opened: Optional[int]) -> str:
    for found, said in _EXPLAINED:
        if found in problem:
            return said.format(opened=opened if opened is not None else "?")
    return f"{problem}; correct that line"
