"""The node tree of a YAML document, as ruamel.yaml's composer makes it, without loading ruamel.

The editors find keys and values by these nodes and edit the text at their
marks. The fast reader (:mod:`fipsconf.yamlquick`) builds them directly;
what ruamel.yaml reads is copied into them (:mod:`fipsconf.yamlslow`), so
there is one kind of tree whichever reader read a part. The attributes are
ruamel's: ``tag`` (a string), ``value``, ``start_mark`` and ``end_mark``
(``line`` and ``column``, 0-based), ``anchor``, ``style`` (scalars),
``flow_style`` (collections), ``merge`` (mappings with a ``<<``: the entries
it brought in, also first in ``value``).
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any, Iterator, Optional


class Mark(tuple):  # type: ignore[type-arg]
    """A position in the text, as ruamel's marks give it (``line``, ``column``, 0-based).

    A tuple: cheap to make by the hundred thousand, and never moved.
    """

    __slots__ = ()
    line = property(itemgetter(0))
    column = property(itemgetter(1))


class Node:
    """A node of the tree."""

    __slots__ = ("anchor", "end_mark", "start_mark", "tag", "value")

    def __init__(
        self, tag: str, value: Any, start_mark: Any, end_mark: Any, anchor: Optional[str] = None
    ) -> None:
        self.tag = tag
        self.value = value
        self.start_mark = start_mark
        self.end_mark = end_mark
        self.anchor = anchor


class ScalarNode(Node):
    """A scalar; ``style`` is None (plain), ``'``, ``"``, ``|`` or ``>``."""

    __slots__ = ("style",)

    def __init__(
        self,
        tag: str,
        value: str,
        start_mark: Any,
        end_mark: Any,
        style: Optional[str] = None,
        anchor: Optional[str] = None,
    ) -> None:
        super().__init__(tag, value, start_mark, end_mark, anchor)
        self.style = style


class CollectionNode(Node):
    """A sequence or a mapping; ``flow_style`` is True for ``[...]`` and ``{...}``."""

    __slots__ = ("flow_style",)

    def __init__(
        self,
        tag: str,
        value: Any,
        start_mark: Any,
        end_mark: Any,
        flow_style: Optional[bool] = None,
        anchor: Optional[str] = None,
    ) -> None:
        super().__init__(tag, value, start_mark, end_mark, anchor)
        self.flow_style = flow_style


class SequenceNode(CollectionNode):
    """A sequence: ``value`` is the list of its items' nodes."""

    __slots__ = ()


class MappingNode(CollectionNode):
    """A mapping: ``value`` is the list of its (key node, value node) pairs."""

    __slots__ = ("merge",)

    def __init__(
        self,
        tag: str,
        value: Any,
        start_mark: Any,
        end_mark: Any,
        flow_style: Optional[bool] = None,
        anchor: Optional[str] = None,
    ) -> None:
        super().__init__(tag, value, start_mark, end_mark, flow_style, anchor)
        self.merge: Optional[list[tuple[Node, Node]]] = None


class LineScalarNode(ScalarNode):
    """A scalar written on one line, its marks made only when read.

    A plain document has a scalar or two on every line, and most of their
    marks are never looked at: making two per scalar cost a quarter of the
    reading time.
    """

    __slots__ = ("end_column", "line", "start_column")

    def __init__(
        self, tag: str, value: str, style: Optional[str], line: int, start: int, end: int
    ) -> None:
        self.tag = tag
        self.value = value
        self.style = style
        self.anchor = None
        self.line = line
        self.start_column = start
        self.end_column = end

    @property  # type: ignore[override]
    def start_mark(self) -> Mark:
        """Where the scalar starts."""
        return Mark((self.line, self.start_column))

    @property  # type: ignore[override]
    def end_mark(self) -> Mark:
        """Where the scalar ends."""
        return Mark((self.line, self.end_column))


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
