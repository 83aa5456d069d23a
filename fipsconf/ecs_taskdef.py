"""Amazon ECS container definitions for the FIPS proxy sidecar or the FIPS Agent.

Two edits, each with its way back:

- the proxy (the vendor documentation's recipe): a ``fips-proxy`` container
  (``datadog/fips-proxy``, essential, 16 TCP ports from 9803, with
  ``DD_FIPS_PORT_RANGE_START`` and ``DD_FIPS_LOCAL_ADDRESS``) beside the
  Agent container, whose environment gets ``DD_FIPS_ENABLED=true``,
  ``DD_FIPS_PORT_RANGE_START`` and ``DD_FIPS_HTTPS=false``. An Agent on a
  FIPS Agent image is moved back to the standard image only when asked
  (``from_fips_agent``).
- the FIPS Agent (``fips_agent``): the Agent container's image becomes its
  FIPS variant (:mod:`fipsconf.agent_images`), and the ``fips-proxy``
  sidecar, the references to it (``dependsOn``, ``links``) and the Agent's
  ``DD_FIPS_*`` variables are removed.

Input is a task definition, the output of ``aws ecs
describe-task-definition`` (``{"taskDefinition": {...}, "tags": [...]}``), or
a bare list of container definitions (Terraform's ``container_definitions``
read with ``file()``; CloudFormation's ``ContainerDefinitions``, spelled
``Name``, ``Image``...). A task definition is written as ``aws ecs
register-task-definition --cli-input-json`` accepts it: unwrapped, without
the read-only fields ECS adds on registration; a list is written back as a
list, in its own spelling. The text keeps the input's layout
(:mod:`fipsconf.jsonlayout`); an unchanged definition is left exactly as it
was. Values of secret environment variables (``DD_API_KEY`` and the like)
are kept in the file and masked in everything shown.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, NamedTuple, Optional

from fipsconf.agent_images import (
    FIPS_AGENT_MIN_VERSION,
    FIPS_FULL_MIN_VERSION,
    IMPLICIT_TAG,
    fips_tag,
    image_digest,
    image_repository,
    image_tag,
    is_agent_image,
    is_fips_agent_image,
    older_than,
    shown_version,
    standard_tag,
    with_tag,
)
from fipsconf.datadog_yaml import (
    DEFAULT_PORT_RANGE_START,
    FED_SITE,
    PORT_COUNT,
    Advice,
    check_local_address,
    check_port_range_start,
)
from fipsconf.ecs_keys import is_cloudformation, to_api_spelling, to_cloudformation_spelling
from fipsconf.errors import DocumentError, SettingError
from fipsconf.helm_values import check_image_tag, fips_agent_conflict
from fipsconf.jsonlayout import JsonDocument, mask_secrets, parse_json, write_like
from fipsconf.proxy_releases import NEWEST, default_image, stale_image
from fipsconf.redact import secret_values
from fipsconf.scalars import describe
from fipsconf.sites import fips_agent_note, wrong_government_site

SIDECAR_NAME = "fips-proxy"
#: The tag of a new sidecar when ``--image-tag`` is not given (an existing one keeps its
#: own): the newest release fips-setup knows (the vendor's ECS example still says 1.1.17).
DEFAULT_FIPS_PROXY_TAG = NEWEST.tag
#: What networkMode is where the task's containers do not share 127.0.0.1.
_SEPARATE_NETWORK_MODES = ("bridge", "none")
#: Memory (MiB) reserved for a new sidecar when the task sets no task-level
#: memory: ECS then requires a container-level value on every container.
SIDECAR_MEMORY_RESERVATION = 64
SIDECAR_LOCAL_ADDRESS = "127.0.0.1"
#: The Agent's variables for the proxy: the FIPS Agent ignores them.
FIPS_VARIABLE_PREFIX = "DD_FIPS_"

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

#: The forms of input, each written back in its own form (``form`` in the result).
FORM_TASK_DEFINITION = "task-definition"
FORM_CONTAINER_DEFINITIONS = "container-definitions"
FORM_CLOUDFORMATION = "cloudformation-container-definitions"

#: A task definition file, parsed.
TaskDefinitionDocument = JsonDocument


class EcsRequest(NamedTuple):
    """What the operator asks for; None keeps what the definition already has.

    ``fips_agent`` asks for the FIPS Agent instead of the proxy (and takes
    none of the proxy's options); ``from_fips_agent`` allows moving an Agent
    on a FIPS Agent image back to the standard image and the proxy;
    ``allow_bridge`` writes a task definition whose networkMode keeps the
    Agent from the sidecar (the operator sets it where the file is used).
    """

    image_tag: Optional[str] = None
    agent_container: Optional[str] = None
    port_range_start: Optional[int] = None
    from_fips_agent: bool = False
    fips_agent: bool = False
    allow_bridge: bool = False

    def options_beside_fips_agent(self) -> list[str]:
        """The proxy's options given with ``fips_agent``, as the command line spells them."""
        given = (
            ("--image-tag", self.image_tag),
            ("--port-range-start", self.port_range_start),
            ("--from-fips-agent", self.from_fips_agent or None),
            ("--allow-bridge", self.allow_bridge or None),
        )
        return [option for option, value in given if value is not None] if self.fips_agent else []


class EcsRefusal(DocumentError):
    """The definition is valid, but the edit asked for cannot be made to it as it is."""

    code = "precondition"


class EcsEdit(NamedTuple):
    """The new definition text and what changed; ``text`` is the input when nothing did.

    ``sidecar_image`` and ``port_range_start`` are None for the FIPS Agent.
    """

    text: str
    data: Any
    changes: list[str]
    advice: list[Advice]
    secrets: frozenset[str]
    agent_container: str
    agent_image: Any
    sidecar_image: Optional[str]
    port_range_start: Optional[int]
    fips_agent: bool
    form: str

    @property
    def changed(self) -> bool:
        """True when the definition had to change."""
        return bool(self.changes)

    def mask(self, text: str) -> str:
        """``text`` with the values of secret environment variables masked."""
        return mask_secrets(text, self.secrets)


def parse_task_definition(text: str) -> TaskDefinitionDocument:
    """Parse a task definition file's text. Raises DocumentError with line and column."""
    return parse_json(
        text, expected="an ECS task definition (a JSON object) or a list of container definitions"
    )


def _line_of_container(body: str, name: str) -> Optional[int]:
    """The line of a container's ``"name": NAME``, when it appears exactly once."""
    key = r'"[nN]ame"\s*:\s*'
    pattern = re.compile(key + re.escape(json.dumps(name, ensure_ascii=False)))
    matches = list(pattern.finditer(body))
    if len(matches) != 1:
        pattern = re.compile(key + re.escape(json.dumps(name)))
        matches = list(pattern.finditer(body))
    if len(matches) != 1:
        return None
    return body.count("\n", 0, matches[0].start()) + 1


# -- the transformation ---------------------------------------------------


class _Context:
    """The definition being edited, the record of changes and the file's text for lines."""

    def __init__(self, body: str, form: str) -> None:
        self.body = body
        self.form = form
        self.changes: list[str] = []

    def error(self, message: str, container: Optional[str] = None) -> DocumentError:
        line = _line_of_container(self.body, container) if container is not None else None
        return DocumentError(message, line=line)

    def refusal(self, message: str, container: str) -> EcsRefusal:
        return EcsRefusal(message, line=_line_of_container(self.body, container))

    def item(self, index: int) -> str:
        """How messages name the container definition at ``index``."""
        if self.form == FORM_TASK_DEFINITION:
            return f"containerDefinitions[{index}]"
        return f"item {index} of the list"


def edit_task_definition(doc: TaskDefinitionDocument, request: EcsRequest) -> EcsEdit:
    """Set up the FIPS proxy sidecar, or with ``request.fips_agent`` the FIPS Agent.

    Raises SettingError for an unacceptable request, EcsRefusal when the
    definition does not allow the edit as it stands (a FIPS Agent image
    without ``from_fips_agent``, an image pinned by digest, a task
    definition whose networkMode keeps the Agent from the proxy without
    ``allow_bridge``...), and
    DocumentError for a definition that cannot be changed safely (with the
    line where known).
    """
    _check_request(request)
    form = _form_of(doc.data)
    ctx = _Context(doc.body, form)
    data = _read(copy.deepcopy(doc.data), ctx)
    containers = _containers(data, ctx)
    sidecar_index = _find_sidecar(containers, ctx)
    agent_index = _find_agent(containers, request.agent_container, sidecar_index, ctx)
    agent = containers[agent_index]
    if not request.fips_agent:  # the FIPS Agent sends to US2-FED's own intake
        _refuse_wrong_site(agent)
    sidecar_image: Optional[str] = None
    start: Optional[int] = None
    if request.fips_agent:
        advice = _move_to_fips_agent(containers, agent_index, sidecar_index, ctx)
        advice.extend(_site_advice(agent, "the FIPS Agent is supported only with", fips_agent=True))
    else:
        _check_network_mode(data, request, ctx)
        advice = _leave_fips_agent(agent, request, ctx)
        sidecar_image, start = _add_proxy(data, containers, sidecar_index, agent, request, ctx)
        advice.extend(task_advice(data, agent, form))
        advice.extend(_image_advice(sidecar_image))
    output = _written(data, form)
    text = doc.text
    if ctx.changes:
        unwrap = _WRAPPER_KEY if _is_wrapper(doc.data) else None
        text = write_like(doc, output, unwrap=unwrap, lifted=("tags",))
    return EcsEdit(
        text=text,
        data=output,
        changes=ctx.changes,
        advice=advice,
        secrets=frozenset(secret_values(_api_spelled(doc.data, form)) | secret_values(data)),
        agent_container=agent["name"],
        agent_image=agent["image"],
        sidecar_image=sidecar_image,
        port_range_start=start,
        fips_agent=request.fips_agent,
        form=form,
    )


def _check_request(request: EcsRequest) -> None:
    conflict = fips_agent_conflict(request.options_beside_fips_agent())
    if conflict:
        raise SettingError(conflict)
    if request.image_tag is not None:
        check_image_tag(request.image_tag)
    if request.port_range_start is not None:
        check_port_range_start(request.port_range_start)


def _form_of(data: Any) -> str:
    if isinstance(data, list):
        return FORM_CLOUDFORMATION if is_cloudformation(data) else FORM_CONTAINER_DEFINITIONS
    return FORM_TASK_DEFINITION


def _read(data: Any, ctx: _Context) -> dict[str, Any]:
    """The definition as a task definition in the ECS API's spelling, whatever its form."""
    if ctx.form == FORM_TASK_DEFINITION:
        return _unwrap(data, ctx)
    if ctx.form == FORM_CLOUDFORMATION:
        data = to_api_spelling(data)
    return {"containerDefinitions": data}


def _written(data: dict[str, Any], form: str) -> Any:
    """The edited definition in the form it came in (a task definition comes out unwrapped)."""
    if form == FORM_TASK_DEFINITION:
        return data
    containers = data["containerDefinitions"]
    return to_cloudformation_spelling(containers) if form == FORM_CLOUDFORMATION else containers


def _api_spelled(data: Any, form: str) -> Any:
    return to_api_spelling(data) if form == FORM_CLOUDFORMATION else data


def _add_proxy(
    data: dict[str, Any],
    containers: list[dict[str, Any]],
    sidecar_index: Optional[int],
    agent: dict[str, Any],
    request: EcsRequest,
    ctx: _Context,
) -> tuple[str, int]:
    """Add or update the sidecar and point the Agent at it: the sidecar's image and first port."""
    sidecar = containers[sidecar_index] if sidecar_index is not None else None
    start = _port_range_start(request, agent, sidecar, ctx)
    _check_port_conflicts(containers, sidecar_index, start, ctx)
    task_memory = data.get("memory") not in (None, "")
    if sidecar is None:
        image, why = default_image(_env_text(agent, "DD_SITE"))
        if request.image_tag is not None:
            image = with_tag(image, request.image_tag)
            why = f"{image}, the tag asked for"
        sidecar = _new_sidecar(image, start, task_memory)
        containers.append(sidecar)
        ctx.changes.append(
            f"added container {SIDECAR_NAME} ({why}; essential, TCP ports"
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
    return sidecar["image"], start


# -- the FIPS Agent and back ----------------------------------------------


def _leave_fips_agent(agent: dict[str, Any], request: EcsRequest, ctx: _Context) -> list[Advice]:
    """Before adding the proxy: an Agent on a FIPS Agent image goes back to the standard one.

    Only with ``request.from_fips_agent``; otherwise raises EcsRefusal.
    """
    image = agent["image"]
    if not isinstance(image, str) or not is_fips_agent_image(image):
        return []
    name = agent["name"]
    if not request.from_fips_agent:
        raise ctx.refusal(
            f"the Agent container {name!r} runs {image}, a FIPS Agent image: it is"
            " FIPS-compliant itself and needs no proxy. Keep it (the vendor's recommended"
            " method), or run again with --from-fips-agent to move this task back to the"
            " standard Agent image and the FIPS proxy sidecar",
            container=name,
        )
    _switch_image(agent, to_fips=False, ctx=ctx)
    return [
        Advice(
            "fips-proxy-phased-out",
            f"the Agent container {name!r} goes back to the standard Agent image with the"
            " fips-proxy sidecar; the vendor recommends the FIPS Agent instead"
            " (fips-setup ecs --fips-agent)",
        )
    ]


def _move_to_fips_agent(
    containers: list[dict[str, Any]], agent_index: int, sidecar_index: Optional[int], ctx: _Context
) -> list[Advice]:
    """The Agent on its FIPS image; no sidecar, no references to it, no DD_FIPS_* variables."""
    agent = containers[agent_index]
    advice = _switch_image(agent, to_fips=True, ctx=ctx)
    if sidecar_index is not None:
        sidecar = containers[sidecar_index]
        name = sidecar["name"]
        _check_no_volumes_from(containers, name, ctx)
        del containers[sidecar_index]
        ctx.changes.append(f"removed container {name} ({sidecar['image']})")
        for container in containers:
            _drop_references(container, name, ctx)
    _remove_fips_variables(agent, ctx)
    return advice


def _switch_image(agent: dict[str, Any], *, to_fips: bool, ctx: _Context) -> list[Advice]:
    """Give the Agent container the FIPS (or the standard) variant of its image.

    The registry, repository and version stay; an image pinned by digest, or
    not given as a plain reference, is refused. Returns warnings about the
    version.
    """
    name, image = agent["name"], agent["image"]
    variant = "FIPS Agent" if to_fips else "standard Agent"
    if not isinstance(image, str) or "${" in image:
        shown = image if isinstance(image, str) else json.dumps(image, ensure_ascii=False)
        raise ctx.refusal(
            f"the Agent container {name!r}: its image is {shown}, computed by a template or"
            f" by CloudFormation, so fips-setup cannot change its tag; set the {variant} image"
            " where it is defined and run again",
            container=name,
        )
    if is_fips_agent_image(image) == to_fips:
        return []
    tag = image_tag(image) or IMPLICIT_TAG
    new_tag = fips_tag(tag) if to_fips else standard_tag(tag)
    if image_digest(image) is not None:
        raise ctx.refusal(
            f"the Agent container {name!r} runs {image}, pinned by digest: the {variant} image"
            f" has another digest, which fips-setup cannot know; replace the image with the"
            f" {variant} image's tag ({image_repository(image)}:{new_tag}) or digest, and run"
            " again",
            container=name,
        )
    advice: list[Advice] = []
    if to_fips:
        parts = new_tag.lower().split("-")
        if "full" in parts and older_than(tag, FIPS_FULL_MIN_VERSION):
            raise ctx.refusal(
                f"the Agent container {name!r} runs {image}: there is no FIPS variant of the"
                f" -full image before {shown_version(FIPS_FULL_MIN_VERSION)}; use"
                f" {shown_version(FIPS_FULL_MIN_VERSION)} or newer, or the image without -full,"
                " and run again",
                container=name,
            )
        if older_than(tag, FIPS_AGENT_MIN_VERSION):
            first = shown_version(FIPS_AGENT_MIN_VERSION)
            raise ctx.refusal(
                f"the Agent container {name!r} runs {image}: there is no FIPS Agent image"
                f" before {first} ({with_tag(image, new_tag)} does not exist, so the task could"
                f" not start); set its image to version {first} or newer and run again",
                container=name,
            )
    new = with_tag(image, new_tag)
    agent["image"] = new
    ctx.changes.append(f"{name}: set image {new} (was {image})")
    return advice


def _check_no_volumes_from(containers: list[dict[str, Any]], sidecar: str, ctx: _Context) -> None:
    for container in containers:
        sources = container.get("volumesFrom")
        if not isinstance(sources, list) or container["name"] == sidecar:
            continue
        if any(isinstance(s, dict) and s.get("sourceContainer") == sidecar for s in sources):
            raise ctx.refusal(
                f"container {container['name']!r} mounts volumes from the {sidecar} sidecar"
                " (volumesFrom), which the FIPS Agent does not need; remove that entry and"
                " run again",
                container=container["name"],
            )


def _drop_references(container: dict[str, Any], sidecar: str, ctx: _Context) -> None:
    """Remove ``dependsOn`` and ``links`` entries naming the removed sidecar."""
    removed = []
    depends = container.get("dependsOn")
    if isinstance(depends, list):
        kept = [
            d for d in depends if not (isinstance(d, dict) and d.get("containerName") == sidecar)
        ]
        if len(kept) != len(depends):
            _replace_list(container, "dependsOn", kept)
            removed.append(f"dependsOn {sidecar}")
    links = container.get("links")
    if isinstance(links, list):
        kept = [
            link for link in links if not (isinstance(link, str) and link.split(":")[0] == sidecar)
        ]
        if len(kept) != len(links):
            _replace_list(container, "links", kept)
            removed.append(f"links {sidecar}")
    if removed:
        ctx.changes.append(f"{container['name']}: removed {', '.join(removed)}")


def _remove_fips_variables(agent: dict[str, Any], ctx: _Context) -> None:
    env = _environment(agent, ctx)
    names = [entry["name"] for entry in env if entry["name"].startswith(FIPS_VARIABLE_PREFIX)]
    if names:
        kept = [entry for entry in env if not entry["name"].startswith(FIPS_VARIABLE_PREFIX)]
        _replace_list(agent, "environment", kept)
        ctx.changes.append(f"{agent['name']}: removed {', '.join(names)}")


def _replace_list(container: dict[str, Any], key: str, items: list[Any]) -> None:
    """Set a container's list; a list this edit emptied goes altogether."""
    if items:
        container[key] = items
    else:
        del container[key]


# -- reading the definition -----------------------------------------------


def _is_wrapper(data: Any) -> bool:
    """True for ``describe-task-definition`` output rather than a definition."""
    return isinstance(data, dict) and _WRAPPER_KEY in data and "containerDefinitions" not in data


def _unwrap(data: Any, ctx: _Context) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise DocumentError(
            f"the top level is {describe(data)}, not an ECS task definition (a JSON object)"
            " or a list of container definitions",
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
    if containers == [] and ctx.form != FORM_TASK_DEFINITION:
        raise DocumentError("the list of container definitions is empty", line=1)
    if not isinstance(containers, list) or not containers:
        raise ctx.error(
            f"containerDefinitions is {describe(containers) if containers != [] else 'empty'},"
            " not a list of containers"
        )
    seen: set[str] = set()
    for index, container in enumerate(containers):
        if not isinstance(container, dict):
            raise ctx.error(f"{ctx.item(index)} is {describe(container)}, not an object")
        name = container.get("name")
        if not isinstance(name, str) or not name:
            raise ctx.error(f"{ctx.item(index)} has no name")
        if name in seen:
            raise ctx.error(f"two containers are named {name!r}; ECS needs unique names")
        seen.add(name)
        image = container.get("image")
        if image is None:
            raise ctx.error(f"container {name!r} has no image", container=name)
        # CloudFormation may compute an image ({"Fn::Sub": ...}); it is left alone.
        if not isinstance(image, str) and ctx.form != FORM_CLOUDFORMATION:
            raise ctx.error(
                f"container {name!r}: image is {describe(image)}, not an image reference",
                container=name,
            )
    return containers


def _plain_image(container: dict[str, Any]) -> str:
    """The container's image reference, or "" when it is computed (CloudFormation)."""
    image = container["image"]
    return image if isinstance(image, str) else ""


def is_fips_proxy_image(image: str) -> bool:
    """True for the FIPS proxy image from any registry or mirror."""
    return image_repository(image).lower().split("/")[-1] == SIDECAR_NAME


def _find_sidecar(containers: list[dict[str, Any]], ctx: _Context) -> Optional[int]:
    found = [
        index
        for index, container in enumerate(containers)
        if container["name"] == SIDECAR_NAME or is_fips_proxy_image(_plain_image(container))
    ]
    if len(found) > 1:
        names = ", ".join(repr(containers[index]["name"]) for index in found)
        raise ctx.error(f"several containers look like the FIPS proxy ({names}); keep one")
    if not found:
        return None
    sidecar = containers[found[0]]
    if not is_fips_proxy_image(_plain_image(sidecar)):
        raise ctx.error(
            f"a container is named {SIDECAR_NAME!r} but runs"
            f" {_plain_image(sidecar) or 'a computed image'}, not the FIPS proxy image;"
            " rename or remove it",
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
        if index != sidecar_index and is_agent_image(_plain_image(container))
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


def _env_text(container: dict[str, Any], name: str) -> Optional[str]:
    """A variable's value in the container's environment list, when it is text."""
    env = container.get("environment")
    for entry in env if isinstance(env, list) else []:
        if isinstance(entry, dict) and entry.get("name") == name:
            value = entry.get("value")
            return value if isinstance(value, str) else None
    return None


def _check_network_mode(data: dict[str, Any], request: EcsRequest, ctx: _Context) -> None:
    """Refuse a task definition whose containers do not share 127.0.0.1 (unless allowed)."""
    mode = data.get("networkMode")
    if ctx.form != FORM_TASK_DEFINITION or request.allow_bridge:
        return
    if mode is not None and mode not in _SEPARATE_NETWORK_MODES:
        return
    shown = "not set, so ECS uses bridge on EC2" if mode is None else f"{mode!r}"
    raise EcsRefusal(
        f"networkMode is {shown}: the containers of the task do not share 127.0.0.1, so the"
        " Agent could not reach the fips-proxy sidecar and every payload would fail; set"
        ' "networkMode": "awsvpc" (or "host") in the task definition and run again, or pass'
        " --allow-bridge when networkMode is set where this file is used",
        line=_line_of_key(ctx.body, "networkMode"),
    )


def _line_of_key(body: str, key: str) -> Optional[int]:
    """The line of ``"key":`` when it appears exactly once."""
    matches = list(re.finditer(re.escape(json.dumps(key)) + r"\s*:", body))
    return body.count("\n", 0, matches[0].start()) + 1 if len(matches) == 1 else None


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


def _new_sidecar(image: str, start: int, task_memory: bool) -> dict[str, Any]:
    sidecar: dict[str, Any] = {
        "name": SIDECAR_NAME,
        "image": image,
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


# -- advice ---------------------------------------------------


def task_advice(data: dict[str, Any], agent: dict[str, Any], form: str) -> list[Advice]:
    """Warnings about a definition for the proxy that the edit does not fix."""
    advice = []
    mode = data.get("networkMode")
    if form != FORM_TASK_DEFINITION:
        advice.append(
            Advice(
                "network-mode",
                "networkMode is set where these container definitions are used (the"
                " aws_ecs_task_definition resource, the CloudFormation TaskDefinition), not in"
                " this file: it must be awsvpc or host, so that the containers of the task share"
                " 127.0.0.1 and the Agent reaches the proxy",
            )
        )
    elif mode is None or mode in _SEPARATE_NETWORK_MODES:  # allowed (--allow-bridge)
        shown = "not set (bridge on EC2)" if mode is None else mode
        advice.append(
            Advice(
                "network-mode",
                f"networkMode is {shown}: the containers of the task do not share"
                " 127.0.0.1, so the Agent cannot reach the proxy; set awsvpc or host where"
                " this file is used (--allow-bridge)",
            )
        )
    advice.extend(_site_advice(agent, "the FIPS proxy only forwards to"))
    return advice


def _refuse_wrong_site(agent: dict[str, Any]) -> None:
    """Raise a DocumentError when the Agent container's DD_SITE is US2-FED (the sidecar)."""
    site = None
    for entry in agent.get("environment", []) or []:
        if isinstance(entry, dict) and entry.get("name") == "DD_SITE":
            site = entry.get("value")
    wrong = wrong_government_site(site, "fips-setup ecs --fips-agent")
    if wrong is not None:
        wrong = wrong.replace(" set site:", " set DD_SITE to")
        error = DocumentError(
            f"DD_SITE on the Agent container {agent.get('name')!r}: {wrong}; nothing was changed"
        )
        error.code = "precondition"
        raise error


def _image_advice(image: Any) -> list[Advice]:
    """A warning when the sidecar's image is an older proxy release than the newest known."""
    tag = image_tag(image) if isinstance(image, str) else None
    outdated = stale_image(f"the {SIDECAR_NAME} container's image tag", tag) if tag else None
    if outdated is None:
        return []
    return [Advice("proxy-image-outdated", f"{outdated}; run again with --image-tag {NEWEST.tag}")]


def _site_advice(agent: dict[str, Any], rule: str, fips_agent: bool = False) -> list[Advice]:
    """A warning when the Agent container's DD_SITE is not the US1-FED site (for the FIPS
    Agent, US2-FED gets :func:`fips_agent_note` instead).

    ``rule`` ends the message: "the FIPS proxy only forwards to" (the site follows).
    """
    advice = []
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
                f" default is datadoghq.com); {rule} {FED_SITE}",
            )
        )
    elif fips_agent and fips_agent_note(site) is not None:  # US2-FED: its own intake
        note = f"DD_SITE on the Agent container {agent['name']!r}: {fips_agent_note(site)}"
        advice.append(Advice("site-us2-fed", note))
    elif isinstance(site, str) and site.strip().lower() != FED_SITE:
        advice.append(
            Advice(
                "site-not-fed",
                f"DD_SITE is {site} on the Agent container {agent['name']!r}; {rule} {FED_SITE}",
            )
        )
    return advice
