"""JSON text read and written again in its own layout.

An edited JSON document is written with the input's own text for every
value that did not change (a one-line entry stays one line, escapes and
number spellings stay), new parts in the input's indentation (spaces or
tabs), and its key order, line endings, byte order mark and final line
break. Reading refuses what ``json.loads`` would let through but other JSON
readers (the AWS CLI, Terraform) reject: a key given twice, ``NaN``.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple, Optional, Union

from fipsconf.errors import DocumentError
from fipsconf.limits import MAX_DEPTH, too_deep
from fipsconf.redact import MASK
from fipsconf.scalars import strict_equal
from fipsconf.yamldoc import BOM

_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
#: An object of scalars with two members or more, on one line.
_FLAT_ONE_LINE = re.compile(r"\{[^{}\[\]\n]*,[^{}\[\]\n]*\}")

Indent = Union[int, str, None]


class JsonStyle(NamedTuple):
    """How the input was laid out, to write the output the same way."""

    indent: Indent
    newline: str
    final_newline: bool
    ensure_ascii: bool
    compact: bool
    #: a multi-line file that writes flat objects on one line (``{"name": "X", "value": "y"}``)
    flat_inline: bool = False

    @classmethod
    def detect(cls, text: str) -> JsonStyle:
        """The style of ``text`` (without a byte order mark)."""
        body = text.strip()
        newline = "\r\n" if "\r\n" in text else "\n"
        indent: Indent = None
        if "\n" in body:
            match = re.search(r"\n([ \t]+)\S", body)
            if match is None:
                indent = 0
            elif match.group(1).startswith("\t"):
                indent = "\t"
            else:
                indent = len(match.group(1))
        return cls(
            indent=indent,
            newline=newline,
            final_newline=text.endswith("\n"),
            ensure_ascii=text.isascii(),
            compact=indent is None and re.search(r'"\s*:\s', body) is None,
            flat_inline=indent is not None and _FLAT_ONE_LINE.search(body) is not None,
        )


class JsonDocument(NamedTuple):
    """A parsed JSON file: its text (BOM apart), data and layout."""

    bom: str
    body: str
    data: Any
    style: JsonStyle

    @property
    def text(self) -> str:
        """The text exactly as given, byte order mark included."""
        return self.bom + self.body


def parse_json(text: str, *, expected: str) -> JsonDocument:
    """Parse a JSON file's text. Raises DocumentError with line and column.

    ``expected`` says what the file should hold, for the message about an
    empty one ("an ECS task definition (a JSON object)").
    """
    bom = BOM if text.startswith(BOM) else ""
    body = text[len(bom) :]
    if not body.strip():
        raise DocumentError(f"is empty; expected {expected}", line=1)
    _check_nesting(body)
    try:
        data = json.loads(body, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise _json_error(exc, body) from None
    except _DuplicateKey as exc:
        raise DocumentError(
            f"invalid JSON: the key {exc.key!r} is given twice in one object; remove one of them",
            line=_second_line_of(body, exc.key),
        ) from None
    except _NotJson as exc:
        where = re.search(r"[:\[,]\s*" + re.escape(str(exc)), body)
        line = body.count("\n", 0, where.end()) + 1 if where else None
        raise DocumentError(f"invalid JSON, {exc} is not a JSON value", line=line) from None
    return JsonDocument(bom=bom, body=body, data=data, style=JsonStyle.detect(body))


#: A JSON string, or one bracket: what the nesting depends on.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]')
_OPENING = frozenset("[{")


def _check_nesting(body: str) -> None:
    """Refuse arrays and objects nested more than MAX_DEPTH deep (json's recursion would fail).

    Linear: one scan that skips strings; the detailed one only finds the line to report.
    """
    if body.count("[") + body.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(body):
        token = match.group()
        if token in _OPENING:
            depth += 1
            if depth > MAX_DEPTH:
                raise too_deep(body.count("\n", 0, match.start()) + 1)
        elif token in ("]", "}"):
            depth -= 1


def _json_error(exc: json.JSONDecodeError, body: str) -> DocumentError:
    """A one-line error with line and column, worded the same on every Python.

    Python's own words for a trailing comma changed in 3.13 (and so did the
    place it reports), so that one is recognised here.
    """
    pos = exc.pos
    comma = None
    if body[pos : pos + 1] == ",":
        comma = pos
    else:
        before = body[:pos].rstrip()
        if before.endswith(",") and body[pos : pos + 1] in ("}", "]"):
            comma = len(before) - 1
    if comma is not None:
        after = body[comma + 1 :].lstrip()[:1]
        if after in ("}", "]"):
            line = body.count("\n", 0, comma) + 1
            column = comma - (body.rfind("\n", 0, comma) + 1) + 1
            return DocumentError(
                f"invalid JSON, a comma before {after!r} (column {column}); remove it",
                line=line,
            )
    return DocumentError(f"invalid JSON, {exc.msg} (column {exc.colno})", line=exc.lineno)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


class _NotJson(ValueError):
    """NaN or Infinity: Python reads them, JSON (and the AWS CLI) does not."""


def _no_constants(word: str) -> Any:
    raise _NotJson(word)


def _second_line_of(body: str, key: str) -> Optional[int]:
    """The line of the second ``"key":`` in ``body``, when the key appears exactly twice."""
    pattern = re.compile(re.escape(json.dumps(key)) + r"\s*:")
    matches = list(pattern.finditer(body))
    if len(matches) != 2:
        return None
    return body.count("\n", 0, matches[1].start()) + 1


# -- writing: the input's own text wherever a value did not change --------


class _Span(NamedTuple):
    """Where a value sits in the input text, at what depth, and its parts."""

    start: int
    end: int
    depth: int
    value: Any
    members: Optional[dict[str, _Span]] = None
    items: Optional[list[_Span]] = None
    key_start: int = -1  # where its key starts, for a member of an object


_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _spans(body: str) -> _Span:
    """The span tree of a JSON text that ``json.loads`` already accepted."""
    decoder = json.JSONDecoder()

    def skip(pos: int) -> int:
        match = _WHITESPACE.match(body, pos)
        return match.end() if match else pos

    def parse(pos: int, depth: int) -> _Span:
        pos = skip(pos)
        opening = body[pos]
        if opening not in "{[":
            value, end = decoder.raw_decode(body, pos)
            return _Span(pos, end, depth, value)
        closing = "}" if opening == "{" else "]"
        members: dict[str, _Span] = {}
        items: list[_Span] = []
        at = skip(pos + 1)
        while body[at] != closing:
            if opening == "{":
                key_start = at
                key, at = decoder.raw_decode(body, at)
                at = skip(at) + 1  # the colon
                child = parse(at, depth + 1)._replace(key_start=key_start)
                members[key] = child
            else:
                child = parse(at, depth + 1)
                items.append(child)
            at = skip(child.end)
            if body[at] == ",":
                at = skip(at + 1)
        if opening == "{":
            value = {key: span.value for key, span in members.items()}
            return _Span(pos, at + 1, depth, value, members=members)
        return _Span(pos, at + 1, depth, [span.value for span in items], items=items)

    return parse(0, 0)


def _is_flat(value: Any) -> bool:
    """True for a scalar, or an object or array of scalars (an env entry, a port)."""
    parts = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return not any(isinstance(part, (dict, list)) for part in parts)


class _JsonWriter:
    """Write edited data in the input's layout, reusing the text of unchanged values.

    A value equal to the one at the same place in the input is copied from
    the input (moved left one level when a wrapper object is taken off);
    a changed object or array keeps its one-line or multi-line layout; new
    values follow their siblings (a flat new item among one-line items is one
    line too) or the file's indentation.
    """

    def __init__(self, doc: JsonDocument) -> None:
        self.body = doc.body
        self.style = doc.style
        indent = doc.style.indent
        self.multiline = indent is not None
        self.unit = indent if isinstance(indent, str) else " " * (indent or 0)
        self.newline = doc.style.newline
        self.inline_separators = (",", ":") if doc.style.compact else (", ", ": ")

    def render(self, data: Any, unwrap: Optional[str], lifted: tuple[str, ...]) -> str:
        root = _spans(self.body)
        if unwrap is not None and root.members is not None:
            outer = root.members
            root = outer[unwrap]
            if root.members is not None:
                extra = {k: outer[k] for k in lifted if k in outer and k not in root.members}
                root = root._replace(members={**root.members, **extra})
        text = self.emit(data, root, 0, inline=not self.multiline)
        return text + (self.newline if self.style.final_newline else "")

    def emit(self, value: Any, span: Optional[_Span], depth: int, inline: bool) -> str:
        if span is not None and strict_equal(value, span.value):
            return self.moved(self.body[span.start : span.end], depth - span.depth)
        if isinstance(value, dict) and span is not None and span.members is not None:
            inline = inline or self.is_inline(span)
            patched = self.patched(value, span, depth, inline)
            if patched is not None:
                return patched
            parts = [
                (self.key(key), self.emit(item, span.members.get(key), depth + 1, inline))
                for key, item in value.items()
            ]
            return self.container("{", "}", parts, depth, inline)
        if isinstance(value, list) and span is not None and span.items is not None:
            inline = inline or self.is_inline(span)
            items_inline = inline or (
                bool(span.items) and all(self.is_single_line(item) for item in span.items)
            )
            texts = []
            unused = list(span.items)
            for index, item in enumerate(value):
                donor = next((s for s in unused if strict_equal(item, s.value)), None)
                if donor is None and index < len(span.items) and span.items[index] in unused:
                    donor = span.items[index]
                if donor is not None:
                    unused.remove(donor)
                one_line = inline or (items_inline and _is_flat(item))
                texts.append(("", self.emit(item, donor, depth + 1, one_line)))
            return self.container("[", "]", texts, depth, inline)
        return self.fresh(value, depth, inline)

    def container(
        self, opening: str, closing: str, parts: list[tuple[str, str]], depth: int, inline: bool
    ) -> str:
        if not parts:
            return opening + closing
        if inline:
            comma, colon = self.inline_separators
            joined = comma.join(f"{key}{colon}{text}" if key else text for key, text in parts)
            return opening + joined + closing
        inner = self.newline + self.unit * (depth + 1)
        joined = ("," + inner).join(f"{key}: {text}" if key else text for key, text in parts)
        return opening + inner + joined + self.newline + self.unit * depth + closing

    def patched(
        self, value: dict[str, Any], span: _Span, depth: int, inline: bool
    ) -> Optional[str]:
        """The object's own text with only its changed members replaced, removed or added.

        Keeps the layout of an object however it is laid out (several members to a
        line, a hand-made alignment). None when the edit reorders its keys, empties
        it, or moves it to another depth: it is then written anew in the file's style.
        """
        members = span.members or {}
        old_keys = list(members)
        kept = [key for key in old_keys if key in value]
        added = [key for key in value if key not in members]
        if depth != span.depth or not kept or list(value)[: len(kept)] != kept:
            return None
        last = members[kept[-1]]
        cuts: list[tuple[int, int, str]] = []  # (start, end, new text) in the input
        first_kept = old_keys.index(kept[0])
        for index, key in enumerate(old_keys):
            child = members[key]
            if key not in value:
                if index > first_kept:  # from the end of the member before, with its comma
                    cuts.append((members[old_keys[index - 1]].end, child.end, ""))
                else:  # before every kept member: up to the next member's key
                    cuts.append((child.key_start, members[old_keys[index + 1]].key_start, ""))
            elif not strict_equal(value[key], child.value):
                one_line = inline or self.is_single_line(child)
                cuts.append(
                    (child.start, child.end, self.emit(value[key], child, depth + 1, one_line))
                )
        if added:
            comma, colon = self.inline_separators if inline else (",", ": ")
            separator = comma if inline else self.separator(span, kept)
            cuts.append(
                (
                    last.end,
                    last.end,
                    "".join(
                        f"{separator}{self.key(key)}{colon}"
                        + self.emit(value[key], None, depth + 1, inline)
                        for key in added
                    ),
                )
            )
        out, done = [], span.start
        for start, end, text in sorted(cuts, key=lambda cut: (cut[0], cut[1])):
            start = max(start, done)
            out.append(self.body[done:start] + text)
            done = max(done, end)
        out.append(self.body[done : span.end])
        return "".join(out)

    def separator(self, span: _Span, kept: list[str]) -> str:
        """What goes between two members of a multi-line object: the input's own, or a new line."""
        members = span.members or {}
        keys = list(members)
        for before, after in zip(reversed(keys[:-1]), reversed(keys[1:])):
            gap = self.body[members[before].end : members[after].key_start]
            if gap.strip() == ",":
                return gap
        first = members[kept[0]]
        line_start = self.body.rfind("\n", 0, first.key_start) + 1
        lead = self.body[line_start : first.key_start]
        return "," + (self.newline + lead if not lead.strip() else " ")

    def fresh(self, value: Any, depth: int, inline: bool) -> str:
        flat_inline = self.style.flat_inline and _is_flat(value)
        if inline or flat_inline or not self.multiline or not isinstance(value, (dict, list)):
            return json.dumps(
                value, ensure_ascii=self.style.ensure_ascii, separators=self.inline_separators
            )
        if isinstance(value, dict):
            parts = [(self.key(k), self.fresh(v, depth + 1, False)) for k, v in value.items()]
        else:
            parts = [("", self.fresh(item, depth + 1, False)) for item in value]
        return self.container(
            "{" if isinstance(value, dict) else "[",
            "}" if isinstance(value, dict) else "]",
            parts,
            depth,
            False,
        )

    def key(self, key: str) -> str:
        return json.dumps(key, ensure_ascii=self.style.ensure_ascii)

    def is_single_line(self, span: _Span) -> bool:
        return "\n" not in self.body[span.start : span.end]

    def is_inline(self, span: _Span) -> bool:
        """A one-line object or array with contents (an empty one takes the file's layout)."""
        has_parts = bool(span.members) or bool(span.items)
        return has_parts and self.is_single_line(span)

    def moved(self, text: str, levels: int) -> str:
        """``text`` with its continuation lines moved by ``levels`` indentation units."""
        if levels == 0 or "\n" not in text or not self.unit:
            return text
        first, *rest = text.split("\n")
        if levels > 0:
            rest = [self.unit * levels + line for line in rest]
        else:
            cut = self.unit * -levels
            rest = [line[len(cut) :] if line.startswith(cut) else line for line in rest]
        return "\n".join([first, *rest])


def write_like(
    doc: JsonDocument, data: Any, *, unwrap: Optional[str] = None, lifted: tuple[str, ...] = ()
) -> str:
    """``data`` as JSON text in the layout of ``doc`` (byte order mark included).

    With ``unwrap``, ``data`` replaces the value of that key of the input's
    top-level object, and takes the outer object's text for the keys in
    ``lifted`` that it gained from there. Raises DocumentError when the text
    would not read back as exactly ``data``.
    """
    text = doc.bom + _JsonWriter(doc).render(data, unwrap, lifted)
    try:
        again = json.loads(text[len(BOM) :] if text.startswith(BOM) else text)
    except ValueError:
        again = None
    if not strict_equal(again, data):
        raise DocumentError(
            "refusing to write: the new file would not read back as intended; please report this"
        )
    return text


def mask_secrets(text: str, secrets: frozenset[str]) -> str:
    """``text`` (JSON) with every string literal equal to a secret replaced by the mask."""
    if not secrets:
        return text

    def replace(match: re.Match[str]) -> str:
        try:
            value = json.loads(match.group(0))
        except ValueError:
            return match.group(0)
        return f'"{MASK}"' if value in secrets else match.group(0)

    return _STRING_LITERAL.sub(replace, text)
