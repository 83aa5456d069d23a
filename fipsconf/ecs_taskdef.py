"""An Amazon ECS task definition with the FIPS proxy sidecar: read, transform, advise.

The vendor documentation's recipe: a ``fips-proxy`` container
(``datadog/fips-proxy``, essential, 16 TCP ports from 9803, with
``DD_FIPS_PORT_RANGE_START`` and ``DD_FIPS_LOCAL_ADDRESS``) beside the
Agent container, whose environment gets ``DD_FIPS_ENABLED=true``,
``DD_FIPS_PORT_RANGE_START`` and ``DD_FIPS_HTTPS=false``.

Input is either a task definition or the output of ``aws ecs
describe-task-definition`` (``{"taskDefinition": {...}, "tags": [...]}``);
output is always what ``aws ecs register-task-definition --cli-input-json``
accepts: unwrapped, without the read-only fields ECS adds on registration.
A changed definition is written again with the input's own text for every
value that did not change (one-line entries stay one-line), new parts in the
input's indentation, and its key order, line endings, byte order mark and
final line break; an unchanged one is left exactly as it was. Values of
secret environment variables (``DD_API_KEY`` and the like) are kept in the
file and masked in everything shown.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, NamedTuple, Optional, Union

from fipsconf.datadog_yaml import (
    DEFAULT_PORT_RANGE_START,
    FED_SITE,
    PORT_COUNT,
    Advice,
    check_local_address,
    check_port_range_start,
)
from fipsconf.errors import DocumentError, FipsSetupError, SettingError
from fipsconf.helm_values import check_image_tag
from fipsconf.limits import MAX_DEPTH, too_deep
from fipsconf.redact import MASK, is_secret_key
from fipsconf.scalars import describe, strict_equal
from fipsconf.yamldoc import BOM

#: The sidecar's image repository and name, as in the vendor documentation.
FIPS_PROXY_REPOSITORY = "datadog/fips-proxy"
SIDECAR_NAME = "fips-proxy"
#: The proxy image tag of the vendor documentation's ECS example; used for a
#: new sidecar when ``--image-tag`` is not given (an existing one keeps its own).
DEFAULT_FIPS_PROXY_TAG = "1.1.17"
#: Memory (MiB) reserved for a new sidecar when the task sets no task-level
#: memory: ECS then requires a container-level value on every container.
SIDECAR_MEMORY_RESERVATION = 64
SIDECAR_LOCAL_ADDRESS = "127.0.0.1"

#: Fields ``describe-task-definition`` returns that ``register-task-definition`` refuses.
READ_ONLY_FIELDS = (
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
)
_WRAPPER_KEY = "taskDefinition"
_AGENT_REPOSITORY_OWNERS = ("datadog", "datadoghq")
_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)

Indent = Union[int, str, None]


class JsonStyle(NamedTuple):
    """How the input was laid out, to write the output the same way."""

    indent: Indent
    newline: str
    final_newline: bool
    ensure_ascii: bool
    compact: bool

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
        )


class TaskDefinitionDocument(NamedTuple):
    """A parsed task definition file: its text (BOM apart), data and layout."""

    bom: str
    body: str
    data: Any
    style: JsonStyle

    @property
    def text(self) -> str:
        """The text exactly as given, byte order mark included."""
        return self.bom + self.body


class EcsRequest(NamedTuple):
    """What the operator asks for; None keeps what the definition already has."""

    image_tag: Optional[str] = None
    agent_container: Optional[str] = None
    port_range_start: Optional[int] = None
    allow_fips_agent: bool = False


class FipsAgentImage(FipsSetupError):
    """The Agent container runs a FIPS Agent image, which needs no proxy."""

    code = "precondition"


class EcsEdit(NamedTuple):
    """The new definition text and what changed; ``text`` is the input when nothing did."""

    text: str
    data: Any
    changes: list[str]
    advice: list[Advice]
    secrets: frozenset[str]
    agent_container: str
    sidecar_image: str
    port_range_start: int

    @property
    def changed(self) -> bool:
        """True when the definition had to change."""
        return bool(self.changes)

    def mask(self, text: str) -> str:
        """``text`` with the values of secret environment variables masked."""
        return mask_secrets(text, self.secrets)


def parse_task_definition(text: str) -> TaskDefinitionDocument:
    """Parse a task definition file's text. Raises DocumentError with line and column."""
    bom = BOM if text.startswith(BOM) else ""
    body = text[len(bom) :]
    if not body.strip():
        raise DocumentError("is empty; expected an ECS task definition (a JSON object)", line=1)
    _check_nesting(body)
    try:
        data = json.loads(body, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise _json_error(exc, body) from None
    except _DuplicateKey as exc:
        raise DocumentError(
            f"invalid task definition: the key {exc.key!r} is given twice in one object;"
            " remove one of them",
            line=_second_line_of(body, exc.key),
        ) from None
    except _NotJson as exc:
        where = re.search(r"[:\[,]\s*" + re.escape(str(exc)), body)
        line = body.count("\n", 0, where.end()) + 1 if where else None
        raise DocumentError(f"invalid JSON, {exc} is not a JSON value", line=line) from None
    return TaskDefinitionDocument(bom=bom, body=body, data=data, style=JsonStyle.detect(body))


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


def _line_of_container(body: str, name: str) -> Optional[int]:
    """The line of a container's ``"name": NAME``, when it appears exactly once."""
    pattern = re.compile(r'"name"\s*:\s*' + re.escape(json.dumps(name, ensure_ascii=False)))
    matches = list(pattern.finditer(body))
    if len(matches) != 1:
        pattern = re.compile(r'"name"\s*:\s*' + re.escape(json.dumps(name)))
        matches = list(pattern.finditer(body))
    if len(matches) != 1:
        return None
    return body.count("\n", 0, matches[0].start()) + 1


# -- writing: the input's own text wherever a value did not change --------


class _Span(NamedTuple):
    """Where a value sits in the input text, at what depth, and its parts."""

    start: int
    end: int
    depth: int
    value: Any
    members: Optional[dict[str, _Span]] = None
    items: Optional[list[_Span]] = None


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
                key, at = decoder.raw_decode(body, at)
                at = skip(at) + 1  # the colon
                members[key] = child = parse(at, depth + 1)
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
    the input (moved left one level when the describe wrapper is taken off);
    a changed object or array keeps its one-line or multi-line layout; new
    values follow their siblings (a flat new item among one-line items is one
    line too) or the file's indentation.
    """

    def __init__(self, doc: TaskDefinitionDocument) -> None:
        self.body = doc.body
        self.style = doc.style
        indent = doc.style.indent
        self.multiline = indent is not None
        self.unit = indent if isinstance(indent, str) else " " * (indent or 0)
        self.newline = doc.style.newline
        self.inline_separators = (",", ":") if doc.style.compact else (", ", ": ")

    def render(self, data: Any, *, unwrapped: bool) -> str:
        root = _spans(self.body)
        if unwrapped and root.members is not None:
            outer = root.members
            root = outer[_WRAPPER_KEY]
            if root.members is not None and "tags" not in root.members and "tags" in outer:
                root = root._replace(members={**root.members, "tags": outer["tags"]})
        text = self.emit(data, root, 0, inline=not self.multiline)
        return text + (self.newline if self.style.final_newline else "")

    def emit(self, value: Any, span: Optional[_Span], depth: int, inline: bool) -> str:
        if span is not None and strict_equal(value, span.value):
            return self.moved(self.body[span.start : span.end], depth - span.depth)
        if isinstance(value, dict) and span is not None and span.members is not None:
            inline = inline or self.is_inline(span)
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

    def fresh(self, value: Any, depth: int, inline: bool) -> str:
        if inline or not self.multiline or not isinstance(value, (dict, list)):
            return json.dumps(
                value, ensure_ascii=self.style.ensure_ascii, separators=self.inline_separators
            )
        text = json.dumps(value, indent=self.style.indent, ensure_ascii=self.style.ensure_ascii)
        return text.replace("\n", self.newline + self.unit * depth)

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


# -- images ---------------------------------------------------------------


def image_repository(image: str) -> str:
    """The repository part of an image reference (no tag, no digest)."""
    reference = image.split("@", 1)[0]
    colon = reference.rfind(":")
    if colon > reference.rfind("/"):
        reference = reference[:colon]
    return reference


def image_tag(image: str) -> Optional[str]:
    """The tag of an image reference, or None."""
    reference = image.split("@", 1)[0]
    colon = reference.rfind(":")
    return reference[colon + 1 :] if colon > reference.rfind("/") else None


def is_agent_image(image: str) -> bool:
    """True for the Datadog Agent image from any registry or mirror.

    ``datadog/agent``, ``public.ecr.aws/datadog/agent``, ``gcr.io/datadoghq/agent``,
    ``docker.io/datadog/agent``, ``<account>.dkr.ecr.<region>.amazonaws.com/datadog/agent``,
    with any tag or digest; not ``datadog/cluster-agent`` or other images.
    """
    parts = image_repository(image).lower().split("/")
    return len(parts) >= 2 and parts[-1] == "agent" and parts[-2] in _AGENT_REPOSITORY_OWNERS


def is_fips_proxy_image(image: str) -> bool:
    """True for the FIPS proxy image from any registry or mirror."""
    return image_repository(image).lower().split("/")[-1] == SIDECAR_NAME


def is_fips_agent_image(image: str) -> bool:
    """True for an Agent image of the FIPS flavour (a ``-fips`` tag, as the Helm chart uses)."""
    tag = image_tag(image)
    return tag is not None and "fips" in tag.lower().split("-")[1:]


# -- the transformation ---------------------------------------------------


class _Context:
    """The definition being edited, the record of changes and the file's text for lines."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.changes: list[str] = []

    def error(self, message: str, container: Optional[str] = None) -> DocumentError:
        line = _line_of_container(self.body, container) if container is not None else None
        return DocumentError(message, line=line)


def edit_task_definition(doc: TaskDefinitionDocument, request: EcsRequest) -> EcsEdit:
    """Add or update the FIPS proxy sidecar and point the Agent container at it.

    Raises SettingError for an unacceptable request, FipsAgentImage for a
    FIPS Agent image (unless ``request.allow_fips_agent``), and DocumentError
    for a definition that cannot be changed safely (with the line where known).
    """
    if request.image_tag is not None:
        check_image_tag(request.image_tag)
    if request.port_range_start is not None:
        check_port_range_start(request.port_range_start)
    ctx = _Context(doc.body)
    data = _unwrap(copy.deepcopy(doc.data), ctx)
    containers = _containers(data, ctx)
    sidecar_index = _find_sidecar(containers, ctx)
    agent_index = _find_agent(containers, request.agent_container, sidecar_index, ctx)
    agent = containers[agent_index]
    advice: list[Advice] = []
    if is_fips_agent_image(agent["image"]):
        message = (
            f"the Agent container {agent['name']!r} runs {agent['image']}, a FIPS Agent"
            " image: it is FIPS-compliant itself and needs no proxy"
        )
        if not request.allow_fips_agent:
            raise FipsAgentImage(
                f"{message}. Keep it (the vendor's recommended method), or pass"
                " --allow-fips-agent to add the proxy anyway"
            )
        advice.append(Advice("fips-agent", message))
    sidecar = containers[sidecar_index] if sidecar_index is not None else None
    start = _port_range_start(request, agent, sidecar, ctx)
    _check_port_conflicts(containers, sidecar_index, start, ctx)
    task_memory = data.get("memory") not in (None, "")
    if sidecar is None:
        sidecar = _new_sidecar(request.image_tag or DEFAULT_FIPS_PROXY_TAG, start, task_memory)
        containers.append(sidecar)
        ctx.changes.append(
            f"added container {SIDECAR_NAME} ({sidecar['image']}, essential, TCP ports"
            f" {start}-{start + PORT_COUNT - 1})"
        )
    else:
        _update_sidecar(sidecar, request.image_tag, start, task_memory, ctx)
    _set_environment(
        agent,
        [
            ("DD_FIPS_ENABLED", "true"),
            ("DD_FIPS_PORT_RANGE_START", str(start)),
            ("DD_FIPS_HTTPS", "false"),
        ],
        ctx,
    )
    if not ctx.changes:
        text = doc.text
    else:
        text = doc.bom + _JsonWriter(doc).render(data, unwrapped=_is_wrapper(doc.data))
        _verify(text, data)
    advice.extend(task_advice(data, agent))
    return EcsEdit(
        text=text,
        data=data,
        changes=ctx.changes,
        advice=advice,
        secrets=frozenset(secret_values(doc.data) | secret_values(data)),
        agent_container=agent["name"],
        sidecar_image=sidecar["image"],
        port_range_start=start,
    )


def _verify(text: str, data: Any) -> None:
    """Refuse to return text that would not read back as exactly ``data``."""
    try:
        again = json.loads(text[len(BOM) :] if text.startswith(BOM) else text)
    except ValueError:
        again = None
    if not strict_equal(again, data):
        raise DocumentError(
            "refusing to write: the new task definition would not read back as intended;"
            " please report this"
        )


def _is_wrapper(data: Any) -> bool:
    """True for ``describe-task-definition`` output rather than a definition."""
    return isinstance(data, dict) and _WRAPPER_KEY in data and "containerDefinitions" not in data


def _unwrap(data: Any, ctx: _Context) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise DocumentError(
            f"the top level is {describe(data)}, not an ECS task definition (a JSON object)",
            line=1,
        )
    if _is_wrapper(data):
        inner = data[_WRAPPER_KEY]
        if not isinstance(inner, dict):
            raise ctx.error(f"taskDefinition is {describe(inner)}, not a task definition")
        tags = data.get("tags")
        if tags not in (None, []) and not isinstance(tags, list):
            raise ctx.error(f"tags is {describe(tags)}, not a list")
        note = "took the task definition out of the describe-task-definition output"
        if tags and "tags" not in inner:
            inner["tags"] = tags
            note += f" (kept its {len(tags)} tag{'s' if len(tags) != 1 else ''})"
        others = [key for key in data if key not in (_WRAPPER_KEY, "tags")]
        if others:
            note += f"; left out {', '.join(others)}"
        ctx.changes.append(note)
        data = inner
    assert isinstance(data, dict)
    dropped = [key for key in READ_ONLY_FIELDS if key in data]
    for key in dropped:
        del data[key]
    if dropped:
        ctx.changes.append(
            "removed fields that register-task-definition does not accept: " + ", ".join(dropped)
        )
    return data


def _containers(data: dict[str, Any], ctx: _Context) -> list[dict[str, Any]]:
    containers = data.get("containerDefinitions")
    if containers is None:
        raise ctx.error("has no containerDefinitions; is it an ECS task definition?")
    if not isinstance(containers, list) or not containers:
        raise ctx.error(
            f"containerDefinitions is {describe(containers) if containers != [] else 'empty'},"
            " not a list of containers"
        )
    seen: set[str] = set()
    for index, container in enumerate(containers):
        if not isinstance(container, dict):
            raise ctx.error(
                f"containerDefinitions[{index}] is {describe(container)}, not an object"
            )
        name = container.get("name")
        if not isinstance(name, str) or not name:
            raise ctx.error(f"containerDefinitions[{index}] has no name")
        if name in seen:
            raise ctx.error(f"two containers are named {name!r}; ECS needs unique names")
        seen.add(name)
        if not isinstance(container.get("image"), str):
            raise ctx.error(f"container {name!r} has no image", container=name)
    return containers


def _find_sidecar(containers: list[dict[str, Any]], ctx: _Context) -> Optional[int]:
    found = [
        index
        for index, container in enumerate(containers)
        if container["name"] == SIDECAR_NAME or is_fips_proxy_image(container["image"])
    ]
    if len(found) > 1:
        names = ", ".join(repr(containers[index]["name"]) for index in found)
        raise ctx.error(f"several containers look like the FIPS proxy ({names}); keep one")
    if not found:
        return None
    sidecar = containers[found[0]]
    if not is_fips_proxy_image(sidecar["image"]):
        raise ctx.error(
            f"a container is named {SIDECAR_NAME!r} but runs {sidecar['image']}, not the FIPS"
            " proxy image; rename or remove it",
            container=sidecar["name"],
        )
    return found[0]


def _find_agent(
    containers: list[dict[str, Any]],
    wanted: Optional[str],
    sidecar_index: Optional[int],
    ctx: _Context,
) -> int:
    names = ", ".join(repr(c["name"]) for c in containers)
    if wanted is not None:
        for index, container in enumerate(containers):
            if container["name"] == wanted:
                if index == sidecar_index:
                    raise ctx.error(
                        f"--agent-container {wanted!r} is the FIPS proxy sidecar, not the Agent",
                        container=wanted,
                    )
                return index
        raise ctx.error(f"has no container named {wanted!r} (--agent-container); it has {names}")
    found = [
        index
        for index, container in enumerate(containers)
        if index != sidecar_index and is_agent_image(container["image"])
    ]
    if not found:
        raise ctx.error(
            f"has no Datadog Agent container (image datadog/agent,"
            f" public.ecr.aws/datadog/agent, gcr.io/datadoghq/agent...) among {names};"
            " name it with --agent-container NAME"
        )
    if len(found) > 1:
        agents = ", ".join(repr(containers[index]["name"]) for index in found)
        raise ctx.error(
            f"has several Datadog Agent containers ({agents}); choose one with"
            " --agent-container NAME"
        )
    return found[0]


def _environment(container: dict[str, Any], ctx: _Context) -> list[dict[str, Any]]:
    """The container's environment list (not created); raises for a malformed one."""
    name = container["name"]
    env = container.get("environment", [])
    if not isinstance(env, list):
        raise ctx.error(
            f"container {name!r}: environment is {describe(env)}, not a list", container=name
        )
    for entry in env:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ctx.error(
                f'container {name!r}: an environment entry is not a {{"name", "value"}} object',
                container=name,
            )
    return env


def _env_value(container: Optional[dict[str, Any]], name: str, ctx: _Context) -> Any:
    if container is None:
        return None
    for entry in _environment(container, ctx):
        if entry["name"] == name:
            return entry.get("value")
    return None


def _port_range_start(
    request: EcsRequest,
    agent: dict[str, Any],
    sidecar: Optional[dict[str, Any]],
    ctx: _Context,
) -> int:
    """The requested start, else the one the definition already uses, else 9803."""
    if request.port_range_start is not None:
        return request.port_range_start
    found: dict[str, Any] = {}
    for container in (agent, sidecar):
        value = _env_value(container, "DD_FIPS_PORT_RANGE_START", ctx)
        if container is not None and value is not None:
            found[container["name"]] = value
    if not found:
        return DEFAULT_PORT_RANGE_START
    numbers = set()
    for name, value in found.items():
        text = str(value).strip()
        if not text.isdigit():
            raise ctx.error(
                f"container {name!r}: DD_FIPS_PORT_RANGE_START is {value!r}, not a port"
                " number; pass --port-range-start N",
                container=name,
            )
        numbers.add(int(text))
    if len(numbers) > 1:
        shown = " but ".join(f"{name!r} {value}" for name, value in found.items())
        raise ctx.error(
            f"DD_FIPS_PORT_RANGE_START differs between the containers ({shown});"
            " choose with --port-range-start N"
        )
    start = numbers.pop()
    try:
        return check_port_range_start(start)
    except SettingError as exc:
        raise ctx.error(f"DD_FIPS_PORT_RANGE_START: {exc}; pass --port-range-start N") from None


def _mapped_ports(mapping: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(field, low, high) for each port a TCP mapping takes."""
    if str(mapping.get("protocol", "tcp")).lower() != "tcp":
        return []
    out = []
    for field in ("containerPort", "hostPort"):
        value = mapping.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            out.append((field, value, value))
    for field in ("containerPortRange", "hostPortRange"):
        value = mapping.get(field)
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", value)
            if match:
                out.append((field, int(match.group(1)), int(match.group(2))))
    return out


def _check_port_conflicts(
    containers: list[dict[str, Any]], sidecar_index: Optional[int], start: int, ctx: _Context
) -> None:
    end = start + PORT_COUNT - 1
    for index, container in enumerate(containers):
        if index == sidecar_index:
            continue
        mappings = container.get("portMappings", [])
        if not isinstance(mappings, list):
            continue
        for mapping in mappings:
            if not isinstance(mapping, dict):
                continue
            for field, low, high in _mapped_ports(mapping):
                if low <= end and high >= start:
                    taken = max(low, start)
                    raise ctx.error(
                        f"container {container['name']!r} maps port {taken} ({field}), which"
                        f" the FIPS proxy needs (TCP {start}-{end}); move that mapping or"
                        " choose another range with --port-range-start N",
                        container=container["name"],
                    )


def _new_sidecar(tag: str, start: int, task_memory: bool) -> dict[str, Any]:
    sidecar: dict[str, Any] = {
        "name": SIDECAR_NAME,
        "image": f"{FIPS_PROXY_REPOSITORY}:{tag}",
        "portMappings": [
            {"containerPort": port, "protocol": "tcp"} for port in range(start, start + PORT_COUNT)
        ],
        "essential": True,
        "environment": [
            {"name": "DD_FIPS_PORT_RANGE_START", "value": str(start)},
            {"name": "DD_FIPS_LOCAL_ADDRESS", "value": SIDECAR_LOCAL_ADDRESS},
        ],
    }
    if not task_memory:
        sidecar["memoryReservation"] = SIDECAR_MEMORY_RESERVATION
    return sidecar


def _update_sidecar(
    sidecar: dict[str, Any],
    tag: Optional[str],
    start: int,
    task_memory: bool,
    ctx: _Context,
) -> None:
    name = sidecar["name"]
    done: list[str] = []
    if tag is not None:
        image = f"{image_repository(sidecar['image'])}:{tag}"
        if image != sidecar["image"]:
            done.append(f"image {image} (was {sidecar['image']})")
            sidecar["image"] = image
    if sidecar.get("essential") is not True:
        sidecar["essential"] = True
        done.append("essential")
    no_memory = sidecar.get("memory") is None and sidecar.get("memoryReservation") is None
    if not task_memory and no_memory:
        sidecar["memoryReservation"] = SIDECAR_MEMORY_RESERVATION
        done.append(f"memoryReservation {SIDECAR_MEMORY_RESERVATION}")
    ports = _update_port_mappings(sidecar, start, ctx)
    if ports:
        done.append(ports)
    if done:
        ctx.changes.append(f"{name}: set {', '.join(done)}")
    address = _env_value(sidecar, "DD_FIPS_LOCAL_ADDRESS", ctx)
    keep_address = isinstance(address, str) and _is_loopback(address)
    _set_environment(
        sidecar,
        [
            ("DD_FIPS_PORT_RANGE_START", str(start)),
            ("DD_FIPS_LOCAL_ADDRESS", address if keep_address else SIDECAR_LOCAL_ADDRESS),
        ],
        ctx,
    )


def _is_loopback(address: str) -> bool:
    try:
        check_local_address(address)
    except SettingError:
        return False
    return True


def _update_port_mappings(sidecar: dict[str, Any], start: int, ctx: _Context) -> str:
    """Make the sidecar map exactly the 16 TCP ports; say what changed ("" if nothing)."""
    name = sidecar["name"]
    wanted = list(range(start, start + PORT_COUNT))
    mappings = sidecar.get("portMappings", [])
    if not isinstance(mappings, list) or not all(isinstance(m, dict) for m in mappings):
        raise ctx.error(
            f"container {name!r}: portMappings is not a list of objects", container=name
        )
    current = [m.get("containerPort") for m in mappings]
    if current == wanted and all(str(m.get("protocol", "tcp")).lower() == "tcp" for m in mappings):
        return ""
    by_port: dict[int, dict[str, Any]] = {}
    for mapping in mappings:
        port = mapping.get("containerPort")
        if isinstance(port, int) and port in wanted and port not in by_port:
            by_port[port] = mapping
    new = []
    for port in wanted:
        mapping = by_port.get(port)
        if mapping is None:
            mapping = {"containerPort": port, "protocol": "tcp"}
        elif str(mapping.get("protocol", "tcp")).lower() != "tcp":
            mapping["protocol"] = "tcp"
        new.append(mapping)
    sidecar["portMappings"] = new
    return f"portMappings TCP {start}-{start + PORT_COUNT - 1}"


def _set_environment(
    container: dict[str, Any], wanted: list[tuple[str, str]], ctx: _Context
) -> None:
    """Set each variable once, replacing (not duplicating) an existing entry."""
    env = _environment(container, ctx)
    done: list[str] = []
    for name, value in wanted:
        matches = [index for index, entry in enumerate(env) if entry["name"] == name]
        if not matches:
            env.append({"name": name, "value": value})
            done.append(f"{name}={value}")
            continue
        entry = env[matches[0]]
        if entry.get("value") != value:
            was = entry.get("value")
            entry["value"] = value
            done.append(f"{name}={value}" + (f" (was {was})" if isinstance(was, str) else ""))
        for index in reversed(matches[1:]):
            del env[index]
        if len(matches) > 1:
            done.append(f"removed {len(matches) - 1} more {name}")
    if done and "environment" not in container:
        container["environment"] = env
    if done:
        ctx.changes.append(f"{container['name']}: set {', '.join(done)}")


# -- advice and secrets ---------------------------------------------------


def task_advice(data: dict[str, Any], agent: dict[str, Any]) -> list[Advice]:
    """Warnings about the task definition that the edit does not fix."""
    advice = []
    mode = data.get("networkMode")
    if mode in (None, "bridge", "none"):
        shown = "not set (bridge on EC2)" if mode is None else mode
        advice.append(
            Advice(
                "network-mode",
                f"networkMode is {shown}: the containers of the task do not share"
                " 127.0.0.1, so the Agent cannot reach the proxy; use awsvpc or host",
            )
        )
    site = None
    for entry in agent.get("environment", []):
        if entry.get("name") == "DD_SITE":
            site = entry.get("value")
    from_secret = any(
        isinstance(s, dict) and s.get("name") == "DD_SITE" for s in agent.get("secrets", []) or []
    )
    if site is None and not from_secret and not agent.get("environmentFiles"):
        advice.append(
            Advice(
                "site-not-fed",
                f"DD_SITE is not set on the Agent container {agent['name']!r} (the Agent's"
                f" default is datadoghq.com); the FIPS proxy only forwards to {FED_SITE}",
            )
        )
    elif isinstance(site, str) and site.strip().lower() != FED_SITE:
        advice.append(
            Advice(
                "site-not-fed",
                f"DD_SITE is {site} on the Agent container {agent['name']!r}; the FIPS proxy"
                f" only forwards to {FED_SITE}",
            )
        )
    return advice


def secret_values(data: Any) -> set[str]:
    """Secret values anywhere in a definition.

    The ``value`` of ``{"name", "value"}`` entries with a secret name
    (``DD_API_KEY``, ``DB_PASSWORD``...), and the value of any secret-named key.
    """
    found: set[str] = set()
    if isinstance(data, dict):
        name, value = data.get("name"), data.get("value")
        if isinstance(name, str) and is_secret_key(name) and isinstance(value, str) and value:
            found.add(value)
        for key, item in data.items():
            if isinstance(item, (dict, list)):
                found |= secret_values(item)
            elif is_secret_key(key) and isinstance(item, (str, int)) and str(item):
                found.add(str(item))
    elif isinstance(data, list):
        for item in data:
            found |= secret_values(item)
    return found


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
