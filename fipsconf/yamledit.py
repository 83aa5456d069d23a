"""Set values at key paths in a YAML document by the smallest text edit.

A general YAML dump rewrites the whole file (and ruamel's round trip still
drops whitespace-only lines and re-wraps long ones). This engine instead finds
each target in the parsed node tree and edits only the characters that must
change: a value's own span (its inline comment and quoting survive), or new
lines inserted after a mapping's last entry, indented like its siblings. The
result is parsed again and must mean exactly the original data with the
assignments applied, or nothing is returned.
"""

import re
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple, Optional, Union

from fipsconf.errors import DocumentError
from fipsconf.scalars import Value, describe, render_scalar, strict_equal
from fipsconf.yamldoc import (
    YamlDocument,
    entry_end_line,
    own_entries,
    parse_edited,
    scalar_key,
    shared_mappings,
)
from fipsconf.yamlnodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str, ...]
_DOCUMENT_END = re.compile(r"\.\.\.(?:[ \t]|\Z)")
KeyMatcher = Callable[[str, str], bool]
# A requested subtree: leaf values, or nested subtrees, by key.
if TYPE_CHECKING:
    _Tree = dict[str, Union["_Tree", "_Leaf"]]
else:  # the same at run time, without the names typing would compile on import (10 ms)
    _Tree = dict


def exact_keys(found: str, wanted: str) -> bool:
    """Keys match when spelled the same (Helm values, most YAML)."""
    return found == wanted


def case_insensitive_keys(found: str, wanted: str) -> bool:
    """Keys match whatever their case, as the Agent's configuration reads them."""
    return found.lower() == wanted.lower()


class Assignment(NamedTuple):
    """Set ``path`` to ``value``.

    With ``absent_ok``, a missing key already counts as set: for a value that
    equals the program's default (``fips.enabled: false``), adding it would
    change the file without changing what it means.

    With ``merge`` (a list value, like ``tags``), the items are added to the
    list already there rather than replacing it: those it lacks, in order,
    after its own (which stay as written); a string there is read as
    space-separated items, as the Agent reads it, and becomes such a list.
    """

    path: Path
    value: Value
    absent_ok: bool = False
    merge: bool = False


class Change(NamedTuple):
    """One value this edit sets: its path as spelled in the file, before and after.

    ``before`` is None when the key was absent; ``line`` is 1-based, in the new text.
    """

    path: Path
    before: Any
    after: Value
    line: int

    @property
    def dotted(self) -> str:
        """The path written as ``a.b.c``."""
        return ".".join(self.path)


class EditResult(NamedTuple):
    """The new text and what changed; ``changes`` is empty when nothing had to."""

    text: str
    changes: list[Change]
    document: YamlDocument

    @property
    def changed(self) -> bool:
        """True when the new text differs from the old."""
        return bool(self.changes)


class _Leaf(NamedTuple):
    assignment: Assignment


class _TextEdit(NamedTuple):
    start: int
    end: int
    text: str


class _Editor:
    """Walks the node tree and collects text edits and the values they set."""

    def __init__(
        self,
        doc: YamlDocument,
        keys_match: KeyMatcher,
        top_level_slots: Mapping[str, int],
        nested_slots: Mapping[tuple[str, str], int],
    ) -> None:
        self.doc = doc
        self.keys_match = keys_match
        self.top_level_slots = top_level_slots
        self.nested_slots = nested_slots
        self.edits: list[_TextEdit] = []
        self.applied: list[tuple[Path, Any, Value]] = []
        # a plain document has no anchor, so no mapping is shared
        self.shared = shared_mappings(doc.root) if doc.root is not None and not doc.plain else set()

    # -- navigation -------------------------------------------------------

    def find(self, mapping: MappingNode, key: str, parent: Path) -> Optional[tuple[Node, Node]]:
        matches = [
            (k, v)
            for k, v in own_entries(mapping)
            if (text := scalar_key(k)) is not None and self.keys_match(text, key)
        ]
        if len(matches) > 1:
            lines = " and ".join(str(k.start_mark.line + 1) for k, _ in matches)
            where = ".".join((*parent, key))
            raise DocumentError(
                f"{where!r} is given more than once (lines {lines}); keep one and run again",
                line=matches[1][0].start_mark.line + 1,
            )
        return matches[0] if matches else None

    def data_at(self, path: Path) -> Any:
        data = self.doc.data
        for key in path:
            data = data[key]
        return data

    # -- edits ------------------------------------------------------------

    def assign_in(self, mapping: MappingNode, parent: Path, tree: _Tree) -> None:
        if parent and id(mapping) in self.shared:
            anchor = getattr(mapping, "anchor", None)
            through = f" (&{anchor})" if anchor else ""
            raise DocumentError(
                f"{'.'.join(parent)!r} is shared with other settings through its anchor"
                f"{through}, so changing it would change them too; give {parent[-1]!r} a"
                " mapping of its own and run again",
                line=mapping.start_mark.line + 1,
            )
        missing: _Tree = {}
        for key, wanted in tree.items():
            found = self.find(mapping, key, parent)
            if found is None:
                if not _all_absent_ok(wanted):
                    missing[key] = _prune_absent_ok(wanted)
                continue
            key_node, value_node = found
            path = (*parent, scalar_key(key_node) or key)
            if isinstance(wanted, _Leaf):
                if wanted.assignment.merge:
                    self.merge_list(mapping, key_node, value_node, path, wanted.assignment)
                else:
                    self.set_scalar(key_node, value_node, path, wanted.assignment)
                continue
            self.reject_alias(key_node, value_node, path)
            if isinstance(value_node, MappingNode):
                self.assign_in(value_node, path, wanted)
            elif _is_null(value_node):
                self.fill_null(mapping, key_node, value_node, path, wanted)
            else:
                raise DocumentError(
                    f"{'.'.join(path)!r} is {describe(self.data_at(path))}, not a mapping;"
                    " fix it by hand and run again",
                    line=key_node.start_mark.line + 1,
                )
        if missing:
            self.insert_entries(mapping, parent, missing)

    def reject_alias(self, key_node: Node, value_node: Node, path: Path) -> None:
        key_end = (key_node.end_mark.line, key_node.end_mark.column)
        if (value_node.start_mark.line, value_node.start_mark.column) < key_end:
            raise DocumentError(
                f"{'.'.join(path)!r} is an alias (*name) of another value;"
                " replace it with a plain value and run again",
                line=key_node.start_mark.line + 1,
            )

    def set_scalar(self, key_node: Node, value_node: Node, path: Path, wanted: Assignment) -> None:
        line = key_node.start_mark.line + 1
        current = self.data_at(path)
        if strict_equal(current, wanted.value):
            return
        if not isinstance(value_node, ScalarNode):
            raise DocumentError(
                f"{'.'.join(path)!r} is {describe(current)}, expected"
                f" {describe(wanted.value)}; fix it by hand and run again",
                line=line,
            )
        self.reject_alias(key_node, value_node, path)
        lines = self.doc.lines
        if value_node.value == "" and value_node.style is None:  # "key:" with nothing after
            colon = lines.text.index(
                ":", lines.offset(key_node.end_mark.line, key_node.end_mark.column)
            )
            self.edits.append(_TextEdit(colon + 1, colon + 1, " " + render_scalar(wanted.value)))
        else:
            start = lines.offset(value_node.start_mark.line, value_node.start_mark.column)
            end = lines.offset(value_node.end_mark.line, value_node.end_mark.column)
            if value_node.end_mark.line != value_node.start_mark.line:
                raise DocumentError(
                    f"{'.'.join(path)!r} spans several lines; make it one line and run again",
                    line=line,
                )
            if lines.text[start] in "!&":
                raise DocumentError(
                    f"{'.'.join(path)!r} carries a tag or an anchor; remove it and run again",
                    line=line,
                )
            style = value_node.style if value_node.style in ("'", '"') else None
            self.edits.append(_TextEdit(start, end, render_scalar(wanted.value, quote=style)))
        self.applied.append((path, current, wanted.value))

    def merge_list(
        self,
        mapping: MappingNode,
        key_node: Node,
        value_node: Node,
        path: Path,
        wanted: Assignment,
    ) -> None:
        """Add the items of ``wanted`` that the list at ``path`` lacks (see Assignment.merge)."""
        line = key_node.start_mark.line + 1
        name = ".".join(path)
        self.reject_alias(key_node, value_node, path)
        current = self.data_at(path)
        items = list(wanted.value) if isinstance(wanted.value, list) else [wanted.value]
        if isinstance(value_node, SequenceNode) and isinstance(current, list):
            if getattr(value_node, "anchor", None):
                raise DocumentError(
                    f"{name!r} carries an anchor (&{value_node.anchor}), so other settings may"
                    " share it; remove the anchor and run again",
                    line=line,
                )
            have = {str(item) for item in current if isinstance(item, (str, int, float))}
            missing = _unique([item for item in items if str(item) not in have])
            if missing:
                self.append_items(key_node, value_node, missing)
                self.applied.append((path, current, [*current, *missing]))
            return
        if not isinstance(value_node, ScalarNode) or not (
            current is None or isinstance(current, str)
        ):
            raise DocumentError(
                f"{name!r} is {describe(current)}, not a list; make it a list (one '- item' a"
                " line) and run again",
                line=line,
            )
        existing = current.split() if isinstance(current, str) else []
        merged = _unique([*existing, *items])
        if merged == existing:
            return  # a string that already names every item: the Agent reads them all
        self.replace_with_list(mapping, key_node, value_node, path, merged)
        self.applied.append((path, current, merged))

    def append_items(self, key_node: Node, sequence: SequenceNode, items: list[str]) -> None:
        """Add ``items`` at the end of a block or flow sequence, in its own style."""
        lines = self.doc.lines
        if sequence.flow_style:
            close = lines.offset(sequence.end_mark.line, sequence.end_mark.column) - 1
            if lines.text[close] != "]":
                raise DocumentError(
                    "cannot find the closing bracket of this list",
                    line=sequence.start_mark.line + 1,
                )
            before = lines.text[
                lines.offset(sequence.start_mark.line, sequence.start_mark.column) + 1 : close
            ]
            separator = "" if not before.strip() or before.rstrip().endswith(",") else ", "
            added = ", ".join(render_scalar(item) for item in items)
            self.edits.append(_TextEdit(close, close, separator + added))
            return
        dash = " " * sequence.start_mark.column
        self.insert_lines_after(
            entry_end_line(key_node, sequence), [f"{dash}- {render_scalar(item)}" for item in items]
        )

    def replace_with_list(
        self,
        mapping: MappingNode,
        key_node: Node,
        value_node: ScalarNode,
        path: Path,
        items: list[str],
    ) -> None:
        """Put a list of ``items`` where an empty value or a one-line string is."""
        lines = self.doc.lines
        name = ".".join(path)
        line = key_node.start_mark.line
        if value_node.end_mark.line != value_node.start_mark.line:
            raise DocumentError(
                f"{name!r} spans several lines; make it one line and run again", line=line + 1
            )
        if value_node.value == "" and value_node.style is None:  # "key:" with nothing after
            start = end = (
                lines.text.index(
                    ":", lines.offset(key_node.end_mark.line, key_node.end_mark.column)
                )
                + 1
            )
        else:
            start = lines.offset(value_node.start_mark.line, value_node.start_mark.column)
            end = lines.offset(value_node.end_mark.line, value_node.end_mark.column)
            if lines.text[start] in "!&":
                raise DocumentError(
                    f"{name!r} carries a tag or an anchor; remove it and run again", line=line + 1
                )
        if mapping.flow_style:
            self.edits.append(
                _TextEdit(start, end, (" " if start == end else "") + render_scalar(items))
            )
            return
        while start > lines.starts[line] and lines.text[start - 1] in " \t":
            start -= 1
        self.edits.append(_TextEdit(start, end, ""))
        indent = " " * (key_node.start_mark.column + self.indent_unit())
        self.insert_lines_after(line, [f"{indent}- {render_scalar(item)}" for item in items])

    def fill_null(
        self, parent: MappingNode, key_node: Node, value_node: Node, path: Path, tree: _Tree
    ) -> None:
        """Give an empty key (``fips:`` or ``fips: ~``) the entries of ``tree``."""
        tree = _prune_absent_ok(tree)
        if not tree:
            return
        lines = self.doc.lines
        key_line = key_node.end_mark.line
        if value_node.value != "":  # an explicit ~ or null: remove it
            start = lines.offset(value_node.start_mark.line, value_node.start_mark.column)
            end = lines.offset(value_node.end_mark.line, value_node.end_mark.column)
            if parent.flow_style:
                self.edits.append(_TextEdit(start, end, _flow_mapping(tree)))
                self.record(path, tree)
                return
            while start > lines.starts[key_line] and lines.text[start - 1] in " \t":
                start -= 1
            self.edits.append(_TextEdit(start, end, ""))
        elif parent.flow_style:
            colon = lines.text.index(":", lines.offset(key_line, key_node.end_mark.column))
            self.edits.append(_TextEdit(colon + 1, colon + 1, " " + _flow_mapping(tree)))
            self.record(path, tree)
            return
        indent = key_node.start_mark.column + self.indent_unit()
        self.insert_lines_after(key_line, _block_lines(tree, indent, self.indent_unit()))
        self.record(path, tree)

    def insert_entries(self, mapping: MappingNode, parent: Path, tree: _Tree) -> None:
        """Add new keys to an existing mapping, block or flow."""
        if mapping.flow_style:
            lines = self.doc.lines
            close = lines.offset(mapping.end_mark.line, mapping.end_mark.column) - 1
            if lines.text[close] != "}":
                raise DocumentError(
                    f"cannot find the closing brace of {'.'.join(parent) or 'the document'}",
                    line=mapping.start_mark.line + 1,
                )
            inner = _flow_entries(tree)
            before = lines.text[
                lines.offset(mapping.start_mark.line, mapping.start_mark.column) + 1 : close
            ]
            separator = "" if not before.strip() or before.rstrip().endswith(",") else ", "
            self.edits.append(_TextEdit(close, close, separator + inner))
        else:
            entries = own_entries(mapping)
            # With only a merge key (``<<: *name``) there is no entry of its own to follow.
            column = entries[0][0].start_mark.column if entries else mapping.start_mark.column
            if parent:
                after = entry_end_line(*entries[-1]) if entries else mapping.start_mark.line
                self.insert_lines_after(after, _block_lines(tree, column, self.indent_unit()))
            else:
                self.insert_top_level(tree, column)
        for key, sub in tree.items():
            self.record((*parent, key), sub)

    def insert_top_level(self, tree: _Tree, column: int) -> None:
        """New top-level keys go in their reserved slot lines, else at the end of the file."""
        lines = self.doc.lines
        rest: _Tree = {}
        for key, sub in tree.items():
            slot = self.top_level_slots.get(key)
            if slot is None:
                rest[key] = sub
                continue
            if not isinstance(sub, _Leaf) and self.uncomment_block(key, sub, slot, column):
                continue
            block_lines = _block_lines({key: sub}, column, self.indent_unit())
            self.edits.append(
                _TextEdit(
                    lines.starts[slot], lines.content_end(slot), lines.newline.join(block_lines)
                )
            )
        if rest:
            self.append_at_end(_block_lines(rest, column, self.indent_unit()))

    def uncomment_block(self, key: str, tree: _Tree, slot: int, column: int) -> bool:
        """Put ``key``'s new block where the template's commented lines are, if it has them.

        The parent's ``# key:`` line becomes ``key:``; each leaf with a
        commented line of its own in the template's block (``#   enabled: false``)
        is written on that line; the other leaves follow the first one placed.
        False (nothing done) when no leaf has such a line, or a child is a mapping.
        """
        leaves = {child: sub for child, sub in tree.items() if isinstance(sub, _Leaf)}
        placed = {
            child: self.nested_slots[(key, child)]
            for child in leaves
            if (key, child) in self.nested_slots
        }
        if len(leaves) != len(tree) or not placed:
            return False
        lines = self.doc.lines
        indent = " " * (column + self.indent_unit())
        self.edits.append(
            _TextEdit(lines.starts[slot], lines.content_end(slot), f"{' ' * column}{key}:")
        )
        first = min(placed.values())
        rest = [child for child in leaves if child not in placed]
        for child, line in placed.items():
            new = [child] + (rest if line == first else [])
            text = lines.newline.join(
                f"{indent}{name}: {render_scalar(leaves[name].assignment.value)}" for name in new
            )
            self.edits.append(_TextEdit(lines.starts[line], lines.content_end(line), text))
        return True

    def append_at_end(self, new_lines: list[str]) -> None:
        """Add lines after the document's last entry (before a ``...`` end marker)."""
        lines = self.doc.lines
        text = lines.text
        block = lines.newline.join(new_lines)
        if not text:
            self.edits.append(_TextEdit(0, 0, block + lines.newline))
            return
        before = self.document_end_line()
        if before is None and not lines.ends_with_break():
            before = self.last_block_scalar_line()
        if before is not None:
            previous_blank = before == 0 or not lines.content(before - 1).strip()
            separator = "" if previous_blank else lines.newline
            at = lines.starts[before]
            self.edits.append(_TextEdit(at, at, separator + block + lines.newline))
            return
        last = len(lines) - 1 if not lines.ends_with_break() else len(lines) - 2
        separator = "" if not lines.content(last).strip() else lines.newline
        if lines.ends_with_break():
            self.edits.append(_TextEdit(len(text), len(text), separator + block + lines.newline))
        else:  # keep the file's missing final line break missing
            self.edits.append(_TextEdit(len(text), len(text), lines.newline + separator + block))

    def last_block_scalar_line(self) -> Optional[int]:
        """The key line of a last entry whose value is a block scalar (``|``, ``>``).

        Text appended after it, in a file without a final line break, would
        add a line break to that value; new entries go before it instead.
        """
        root = self.doc.root
        if isinstance(root, MappingNode) and root.value and not root.flow_style:
            key, value = root.value[-1]
            if isinstance(value, ScalarNode) and value.style in ("|", ">"):
                return int(key.start_mark.line)
        return None

    def document_end_line(self) -> Optional[int]:
        """The line of a ``...`` document end marker after the last entry, if any."""
        root = self.doc.root
        first = 0
        if isinstance(root, MappingNode) and root.value:
            first = entry_end_line(*root.value[-1]) + 1
        for number in range(first, len(self.doc.lines)):
            if _DOCUMENT_END.match(self.doc.lines.content(number)):
                return number
        return None

    def insert_lines_after(self, line: int, new_lines: list[str]) -> None:
        lines = self.doc.lines
        newline = lines.newline
        block = newline.join(new_lines)
        if line + 1 < len(lines):
            self.edits.append(
                _TextEdit(lines.starts[line + 1], lines.starts[line + 1], block + newline)
            )
        else:
            end = len(lines.text)
            self.edits.append(_TextEdit(end, end, newline + block))

    def record(self, path: Path, wanted: Union[_Tree, _Leaf]) -> None:
        if isinstance(wanted, _Leaf):
            self.applied.append((path, None, wanted.assignment.value))
            return
        for key, sub in wanted.items():
            self.record((*path, key), sub)

    def indent_unit(self) -> int:
        """The file's indentation step: the first nested block mapping's, else 2."""
        root = self.doc.root
        if isinstance(root, MappingNode):
            for key, value in own_entries(root):
                if not isinstance(value, MappingNode) or value.flow_style:
                    continue
                entries = own_entries(value)
                if entries:
                    step = entries[0][0].start_mark.column - key.start_mark.column
                    if step > 0:
                        return int(step)
        return 2


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _all_absent_ok(wanted: Union[_Tree, _Leaf]) -> bool:
    if isinstance(wanted, _Leaf):
        return wanted.assignment.absent_ok
    return all(_all_absent_ok(sub) for sub in wanted.values())


def _prune_absent_ok(wanted: Any) -> Any:
    if isinstance(wanted, _Leaf):
        return wanted
    return {key: _prune_absent_ok(sub) for key, sub in wanted.items() if not _all_absent_ok(sub)}


def _unique(items: list[Any]) -> list[Any]:
    """``items`` without repeats, in the order each first appears."""
    return list(dict.fromkeys(items))


def _block_lines(tree: _Tree, indent: int, unit: int) -> list[str]:
    out: list[str] = []
    for key, sub in tree.items():
        if (
            isinstance(sub, _Leaf)
            and isinstance(sub.assignment.value, list)
            and sub.assignment.value
        ):
            # a block sequence, as the example documents lists (the fast reader reads it)
            out.append(f"{' ' * indent}{key}:")
            pad = " " * (indent + unit)
            out.extend(f"{pad}- {render_scalar(item)}" for item in sub.assignment.value)
        elif isinstance(sub, _Leaf):
            out.append(f"{' ' * indent}{key}: {render_scalar(sub.assignment.value)}")
        else:
            out.append(f"{' ' * indent}{key}:")
            out.extend(_block_lines(sub, indent + unit, unit))
    return out


def _flow_entries(tree: _Tree) -> str:
    parts = []
    for key, sub in tree.items():
        value = (
            render_scalar(sub.assignment.value) if isinstance(sub, _Leaf) else _flow_mapping(sub)
        )
        parts.append(f"{key}: {value}")
    return ", ".join(parts)


def _flow_mapping(tree: _Tree) -> str:
    return "{" + _flow_entries(tree) + "}"


def _build_tree(assignments: list[Assignment]) -> _Tree:
    tree: _Tree = {}
    for assignment in assignments:
        node = tree
        for key in assignment.path[:-1]:
            sub = node.setdefault(key, {})
            if isinstance(sub, _Leaf):
                raise ValueError(f"conflicting assignments at {key}")
            node = sub
        node[assignment.path[-1]] = _Leaf(assignment)
    return tree


def _expected_data(original: Any, applied: list[tuple[Path, Any, Value]]) -> Any:
    """The original data with the assignments applied (copied along their paths only)."""
    data = dict(original) if isinstance(original, dict) else {}
    for path, _before, after in applied:
        node = data
        for key in path[:-1]:
            child = node.get(key)
            node[key] = dict(child) if isinstance(child, dict) else {}
            node = node[key]
        node[path[-1]] = after
    return data


def _line_of(doc: YamlDocument, path: Path) -> int:
    node = doc.root
    line = 0
    for key in path:
        if not isinstance(node, MappingNode):
            break
        for key_node, value_node in node.value:
            if scalar_key(key_node) == key:
                line = key_node.start_mark.line
                node = value_node
                break
    return line + 1


def set_values(
    doc: YamlDocument,
    assignments: list[Assignment],
    *,
    keys_match: KeyMatcher = exact_keys,
    top_level_slots: Optional[Mapping[str, int]] = None,
    nested_slots: Optional[Mapping[tuple[str, str], int]] = None,
) -> EditResult:
    """Apply ``assignments`` to ``doc`` by minimal text edits.

    ``top_level_slots`` maps a top-level key to a 0-based line (a comment
    line between top-level entries, like a template's ``# site: ...``) that
    the key replaces when it is new; other new top-level keys go at the end.
    ``nested_slots`` maps ``(key, child)`` to the commented line of a child
    in the template's block below such a slot (``#   enabled: false`` under
    ``# fips:``): a new block is uncommented there, in place.
    Raises DocumentError when the document's shape does not allow the edit,
    or when the edited text would not parse back to exactly the intended data.
    """
    editor = _Editor(doc, keys_match, top_level_slots or {}, nested_slots or {})
    tree = _build_tree(assignments)
    root = doc.root
    if root is None:
        pruned = _prune_absent_ok(tree)
        if pruned:
            editor.insert_top_level(pruned, 0)
            editor.record((), pruned)
    elif isinstance(root, MappingNode):
        editor.assign_in(root, (), tree)
    else:
        raise DocumentError(
            f"the top level is {describe(doc.data)}, not a mapping of settings",
            line=root.start_mark.line + 1,
        )
    if not editor.edits:
        return EditResult(text=doc.text, changes=[], document=doc)

    body = doc.body
    # Back to front, so offsets stay valid; of two edits at one offset the
    # later-planned is applied first and so ends up after the earlier one.
    ordered = sorted(enumerate(editor.edits), key=lambda pair: (pair[1].start, pair[0]))
    for _, edit in reversed(ordered):
        body = body[: edit.start] + edit.text + body[edit.end :]
    new_text = doc.bom + body
    changed_from = ordered[0][1].start
    changed_to = max(edit.end for edit in editor.edits)
    try:
        new_doc = parse_edited(doc, new_text, changed_from, changed_to)
    except DocumentError as exc:
        raise DocumentError(
            f"refusing to write: the edit would not parse ({exc.message}); please report this"
        ) from None
    expected = _expected_data(doc.data, editor.applied)
    if not strict_equal(new_doc.data, expected):
        raise DocumentError(
            "refusing to write: the edited file would not mean exactly the intended"
            " settings; please report this"
        )
    changes = [
        Change(path=path, before=before, after=after, line=_line_of(new_doc, path))
        for path, before, after in editor.applied
    ]
    return EditResult(text=new_text, changes=changes, document=new_doc)
