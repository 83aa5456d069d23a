"""A Datadog Helm chart ``values.yaml`` for the FIPS proxy or the FIPS Agent: edit, advise.

The chart (``charts/datadog``) adds the ``fips-proxy`` sidecar to the Agent
pods when ``fips.enabled`` is true, and passes ``fips.port``,
``fips.use_https`` and ``fips.local_address`` to the Agent as
``DD_FIPS_*`` variables. With ``useFIPSAgent`` true it instead runs the
FIPS Agent images (``-fips`` appended to each image tag; an image given by
digest is used as it is) and adds no sidecar, whatever ``fips.enabled``
says (DataDog/helm-charts ``charts/datadog/templates/_helpers.tpl``:
``image-path``, ``should-enable-fips-proxy``). Helm reads values
case-sensitively, so keys are matched exactly: ``FIPS:`` is not ``fips:``.
The edits go through the same byte-preserving engine as ``datadog.yaml``
(:mod:`fipsconf.yamledit`).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Optional

from fipsconf.agent_images import (
    FIPS_AGENT_MIN_VERSION,
    fips_tag,
    is_fips_tag,
    older_than,
    shown_version,
    standard_tag,
)
from fipsconf.datadog_yaml import (
    DEFAULT_PORT_RANGE_START,
    FED_SITE,
    PORT_COUNT,
    Advice,
    check_local_address,
    check_port_range_start,
)
from fipsconf.errors import DocumentError, FipsSetupError, SettingError
from fipsconf.proxy_releases import NEWEST, stale_image
from fipsconf.scalars import render_scalar
from fipsconf.sites import fips_agent_note, wrong_government_site
from fipsconf.yamldoc import YamlDocument, scalar_key
from fipsconf.yamledit import Assignment, EditResult, exact_keys, set_values
from fipsconf.yamlnodes import MappingNode, Node

#: What the chart declares when ``fips.portRange`` is not set: 9803-9817.
CHART_DEFAULT_PORT_RANGE = 15

#: The product behind each of the proxy's ports, by offset from the first.
PRODUCTS_BY_OFFSET = (
    "HAProxy stats",
    "metrics",
    "APM traces",
    "APM profiles",
    "processes",
    "logs",
    "database monitoring metrics and activity",
    "database monitoring samples",
    "network devices metadata",
    "SNMP traps",
    "instrumentation telemetry",
    "AppSec",
    "Orchestrator Explorer",
    "runtime security",
    "compliance",
    "NetFlow",
)

#: A container image tag as registries accept it.
_IMAGE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")
#: Keys under ``fips`` that the chart reads (a case variant is a likely typo).
_CHART_FIPS_KEYS = ("enabled", "use_https", "port", "portRange", "local_address", "image")
#: The chart's switch to the FIPS Agent images.
FIPS_AGENT_KEY = "useFIPSAgent"
#: The chart's components whose ``image.tag`` gets ``-fips`` under useFIPSAgent.
_IMAGE_COMPONENTS = ("agents", "clusterAgent", "clusterChecksRunner")


class HelmRequest(NamedTuple):
    """What the operator asks for in the chart values; None leaves a value as it is.

    ``fips_agent`` asks for the FIPS Agent instead of the proxy sidecar (and
    takes none of the sidecar's options); ``from_fips_agent`` allows moving
    a chart on the FIPS Agent back to the sidecar; ``all_ports`` sets
    ``fips.portRange: 16`` where fewer ports are declared.
    """

    port: Optional[int] = None
    local_address: Optional[str] = None
    image_tag: Optional[str] = None
    from_fips_agent: bool = False
    fips_agent: bool = False
    all_ports: bool = False

    def options_beside_fips_agent(self) -> list[str]:
        """The sidecar's options given with ``fips_agent``, as the command line spells them."""
        given = (
            ("--port", self.port),
            ("--local-address", self.local_address),
            ("--image-tag", self.image_tag),
            ("--all-ports", self.all_ports or None),
            ("--from-fips-agent", self.from_fips_agent or None),
        )
        return [option for option, value in given if value is not None] if self.fips_agent else []

    def assignments(self) -> list[Assignment]:
        """The key paths and values the proxy sidecar's request sets in ``values.yaml``."""
        out = [
            Assignment(("fips", "enabled"), True),
            Assignment(("fips", "use_https"), False),
        ]
        if self.port is not None:
            out.append(Assignment(("fips", "port"), self.port))
        if self.local_address is not None:
            out.append(Assignment(("fips", "local_address"), self.local_address))
        if self.image_tag is not None:
            out.append(Assignment(("fips", "image", "tag"), self.image_tag))
        return out


class FipsAgentConflict(FipsSetupError):
    """The values do not allow the edit as they stand (``useFIPSAgent`` on, for the proxy).

    ``line`` is the 1-based line of the key at fault.
    """

    code = "precondition"

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line

    def located(self, path: str) -> str:
        """The message prefixed with ``path:line``."""
        return f"{path}:{self.line}: {self.message}"


class HelmEdit(NamedTuple):
    """The edit of one ``values.yaml`` and the warnings it raised."""

    result: EditResult
    advice: list[Advice]

    def summary(self) -> list[str]:
        """``key: value`` for each setting the edit changes."""
        return [f"{c.dotted}: {render_scalar(c.after)}" for c in self.result.changes]


def check_image_tag(tag: str) -> str:
    """Return ``tag`` when a registry would accept it as an image tag, else raise SettingError."""
    if not _IMAGE_TAG.match(tag):
        raise SettingError(
            f"image tag {tag!r} is not a valid tag: up to 128 letters, digits, '_', '.'"
            " and '-', not starting with '.' or '-' (for example 1.1.17)"
        )
    return tag


def helm_truthy(value: Any) -> bool:
    """Whether a value counts as true in a Helm template's ``if`` (Go's rules).

    Go templates treat every non-empty string as true, ``"false"`` included.
    """
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, (str, list, dict)):
        return len(value) > 0
    return True


def edit_helm_values(doc: YamlDocument, request: HelmRequest) -> HelmEdit:
    """Turn the FIPS proxy sidecar, or with ``request.fips_agent`` the FIPS Agent, on.

    Raises SettingError for an unacceptable request, FipsAgentConflict when
    the values do not allow the edit (``useFIPSAgent`` on without
    ``request.from_fips_agent``; an image tag that is a FIPS tag already, for
    the FIPS Agent), and DocumentError (with its line) for a document that
    cannot be edited safely.
    """
    if not request.fips_agent:  # the FIPS Agent sends to US2-FED's own intake
        _refuse_wrong_site(doc)
    if request.fips_agent:
        conflict = fips_agent_conflict(request.options_beside_fips_agent())
        if conflict:
            raise SettingError(conflict)
        return _edit_for_fips_agent(doc)
    if request.port is not None:
        check_port_range_start(request.port, setting="fips.port")
    if request.local_address is not None:
        check_local_address(request.local_address)
    if request.image_tag is not None:
        check_image_tag(request.image_tag)
    advice: list[Advice] = []
    assignments = request.assignments()
    fips_agent = _fips_agent_entry(doc)
    if fips_agent is not None:
        line, value = fips_agent
        shown = f"the string {value!r}, which Helm treats as true" if isinstance(value, str) else ""
        if not request.from_fips_agent:
            raise FipsAgentConflict(
                f"{FIPS_AGENT_KEY} is {shown or 'true'}: the chart then runs the FIPS Agent"
                " images, which are FIPS-compliant themselves and need no proxy, and adds no"
                " fips-proxy sidecar. Keep it (the vendor's recommended method), or run again"
                " with --from-fips-agent to move this chart back to the standard Agent images"
                f" and the FIPS proxy sidecar ({FIPS_AGENT_KEY}: false)",
                line=line,
            )
        assignments.insert(0, Assignment((FIPS_AGENT_KEY,), False))
        advice.append(
            Advice(
                "fips-proxy-phased-out",
                f"{FIPS_AGENT_KEY} becomes false (line {line}): the chart goes back to the"
                " standard Agent images with the fips-proxy sidecar; the vendor recommends"
                " the FIPS Agent instead (fips-setup helm --fips-agent)",
            )
        )
    if request.all_ports and _declared_ports(doc.data) < PORT_COUNT:
        assignments.append(Assignment(("fips", "portRange"), PORT_COUNT))
    result = set_values(doc, assignments, keys_match=exact_keys)
    advice.extend(chart_advice(result.document))
    return HelmEdit(result=result, advice=advice)


def _declared_ports(data: Any) -> int:
    """How many ports the chart declares for the sidecar (0 for a value it cannot use)."""
    fips = data.get("fips") if isinstance(data, dict) else None
    value = fips.get("portRange") if isinstance(fips, dict) else None
    if value is None:
        return CHART_DEFAULT_PORT_RANGE
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def fips_agent_conflict(options: list[str]) -> Optional[str]:
    """What to say when proxy options (as spelled) come with ``--fips-agent``; None if none do."""
    if "--from-fips-agent" in options:
        return (
            "--from-fips-agent and --fips-agent ask for opposite moves (from the FIPS Agent back"
            " to the proxy sidecar, and to the FIPS Agent); give the one you want"
        )
    if not options:
        return None
    return f"{', '.join(options)} cannot be used with --fips-agent: the FIPS Agent needs no proxy"


def _edit_for_fips_agent(doc: YamlDocument) -> HelmEdit:
    """``useFIPSAgent: true``, and ``fips.enabled: false`` where the sidecar was on.

    The other ``fips`` values stay: the chart ignores them under
    ``useFIPSAgent``, and they serve again on the way back.
    """
    data = doc.data if isinstance(doc.data, dict) else {}
    _refuse_fips_tags(doc)
    assignments = []
    if data.get(FIPS_AGENT_KEY) is not True:
        assignments.append(Assignment((FIPS_AGENT_KEY,), True))
    fips = data.get("fips")
    if isinstance(fips, dict) and helm_truthy(fips.get("enabled")):
        assignments.append(Assignment(("fips", "enabled"), False))
    result = set_values(doc, assignments, keys_match=exact_keys)
    return HelmEdit(result=result, advice=fips_agent_advice(result.document))


def _component_image(data: Any, component: str) -> dict[Any, Any]:
    """``COMPONENT.image`` of the values (agents, clusterAgent...), or {}."""
    part = data.get(component) if isinstance(data, dict) else None
    image = part.get("image") if isinstance(part, dict) else None
    return image if isinstance(image, dict) else {}


def _refuse_fips_tags(doc: YamlDocument) -> None:
    """Refuse an image tag the chart cannot make a FIPS Agent image of.

    A FIPS tag already (the chart would append -fips again), or an Agent
    version before the FIPS Agent's first (``7.60.1-fips`` does not exist).
    """
    tag = _component_image(doc.data, "agents").get("tag")
    if isinstance(tag, str) and not is_fips_tag(tag) and older_than(tag, FIPS_AGENT_MIN_VERSION):
        first = shown_version(FIPS_AGENT_MIN_VERSION)
        raise FipsAgentConflict(
            f"agents.image.tag is {tag}: there is no FIPS Agent image before {first}"
            f" ({fips_tag(tag)} does not exist, so the pods could not start); set"
            f" agents.image.tag to {first} or newer (or remove it for the chart's default) and"
            " run again",
            line=_line_at(doc.root, ("agents", "image", "tag")) or 1,
        )
    for component in _IMAGE_COMPONENTS:
        tag = _component_image(doc.data, component).get("tag")
        if isinstance(tag, str) and is_fips_tag(tag):
            raise FipsAgentConflict(
                f"{component}.image.tag is {tag}, a FIPS image tag already: with"
                f" {FIPS_AGENT_KEY} the chart appends -fips to the tag ({tag}-fips, an image"
                f" that does not exist); set {component}.image.tag to {standard_tag(tag)}"
                " and run again",
                line=_line_at(doc.root, (component, "image", "tag")) or 1,
            )


def fips_agent_advice(doc: YamlDocument) -> list[Advice]:
    """Warnings about chart values that defeat or limit the FIPS Agent images."""
    data = doc.data if isinstance(doc.data, dict) else {}
    advice = []
    for component in _IMAGE_COMPONENTS:
        image = _component_image(data, component)
        if image.get("digest"):
            line = _line_at(doc.root, (component, "image", "digest"))
            advice.append(
                Advice(
                    "image-digest",
                    f"{component}.image.digest is set (line {line}): the chart uses an image"
                    " digest as it is and appends -fips only to tags, so this image stays the"
                    " one the digest names; set the digest of its FIPS image, or remove the"
                    " digest",
                )
            )
    advice.extend(_site_advice(data, "the FIPS Agent is supported only on", fips_agent=True))
    advice.extend(_fips_agent_key_spelling_advice(doc))
    return advice


def _line_at(root: Optional[Node], path: tuple[str, ...]) -> Optional[int]:
    """The 1-based line of the key at ``path`` (exact keys), when the path exists."""
    node = root
    line = None
    for key in path:
        if not isinstance(node, MappingNode):
            return None
        for key_node, value_node in node.value:
            if scalar_key(key_node) == key:
                line, node = int(key_node.start_mark.line) + 1, value_node
                break
        else:
            return None
    return line


def _fips_agent_entry(doc: YamlDocument) -> Optional[tuple[int, Any]]:
    """The line and value of a top-level ``useFIPSAgent`` that Helm reads as true."""
    if not isinstance(doc.root, MappingNode) or not isinstance(doc.data, dict):
        return None
    value = doc.data.get(FIPS_AGENT_KEY)
    if not helm_truthy(value):
        return None
    line = _line_at(doc.root, (FIPS_AGENT_KEY,))
    return line or int(doc.root.start_mark.line) + 1, value


def _mapping_at(node: Optional[Node], key: str) -> Optional[MappingNode]:
    if not isinstance(node, MappingNode):
        return None
    for key_node, value_node in node.value:
        if scalar_key(key_node) == key and isinstance(value_node, MappingNode):
            return value_node
    return None


def chart_advice(doc: YamlDocument) -> list[Advice]:
    """Warnings about chart values that defeat or limit the FIPS proxy sidecar."""
    data = doc.data if isinstance(doc.data, dict) else {}
    fips = data.get("fips") if isinstance(data.get("fips"), dict) else {}
    assert isinstance(fips, dict)
    advice = _no_sidecar_advice(data)
    advice.extend(_port_range_advice(fips))
    tag = _component_image(data, "agents").get("tag")
    if isinstance(tag, str) and is_fips_tag(tag):
        advice.append(
            Advice(
                "fips-agent-image",
                f"agents.image.tag is {tag}, a FIPS Agent image: it ignores the proxy settings,"
                f" so the sidecar does nothing for it; set agents.image.tag to"
                f" {standard_tag(tag)} to use the proxy, or use the FIPS Agent with"
                " fips-setup helm --fips-agent",
            )
        )
    advice.extend(_site_advice(data, "the FIPS proxy only forwards to"))
    advice.extend(_image_advice(fips))
    advice.extend(_key_spelling_advice(doc))
    advice.extend(_fips_agent_key_spelling_advice(doc))
    return advice


def _refuse_wrong_site(doc: YamlDocument) -> None:
    """Raise a DocumentError (with its line) when ``datadog.site`` is US2-FED (the sidecar)."""
    datadog = doc.data.get("datadog") if isinstance(doc.data, dict) else None
    site = datadog.get("site") if isinstance(datadog, dict) else None
    wrong = wrong_government_site(site, "fips-setup helm --fips-agent")
    if wrong is not None:
        wrong = wrong.replace(" set site:", " set datadog.site:")
        error = DocumentError(
            f"datadog.{wrong}; nothing was changed", line=_line_at(doc.root, ("datadog", "site"))
        )
        error.code = "precondition"
        raise error


def _site_advice(data: dict[Any, Any], rule: str, fips_agent: bool = False) -> list[Advice]:
    """A warning when ``datadog.site`` is not set, or set to another site than US1-FED (for
    the FIPS Agent, US2-FED gets :func:`fips_agent_note` instead).

    ``rule`` is the middle of the message: "the FIPS proxy only forwards to".
    """
    datadog = data.get("datadog")
    site = datadog.get("site") if isinstance(datadog, dict) else None
    note = fips_agent_note(site) if fips_agent else None
    if note is not None:  # US2-FED: the FIPS Agent sends to its own intake
        return [Advice("site-us2-fed", f"datadog.{note}")]
    if site is None or (isinstance(site, str) and not site.strip()):
        return [
            Advice(
                "site-not-fed",
                f"datadog.site is not set, so the chart's default, datadoghq.com, applies (and"
                f" its images come from gcr.io); {rule} {FED_SITE}: set datadog.site:"
                f" {FED_SITE} (the chart then pulls from public.ecr.aws/datadog)",
            )
        ]
    if isinstance(site, str) and site.strip() and site.strip().lower() != FED_SITE:
        return [
            Advice(
                "site-not-fed",
                f"datadog.site is {site}; {rule} {FED_SITE}: set datadog.site: {FED_SITE}",
            )
        ]
    return []


def _image_advice(fips: dict[Any, Any]) -> list[Advice]:
    """A warning when ``fips.image.tag`` pins an older proxy release than the newest known."""
    image = fips.get("image")
    tag = image.get("tag") if isinstance(image, dict) else None
    outdated = stale_image("fips.image.tag", str(tag)) if isinstance(tag, (str, float)) else None
    if outdated is None:
        return []
    return [
        Advice(
            "proxy-image-outdated",
            f"{outdated}; run again with --image-tag {NEWEST.tag}, or remove fips.image.tag to"
            " follow the chart's default",
        )
    ]


def _fips_agent_key_spelling_advice(doc: YamlDocument) -> list[Advice]:
    """Top-level keys spelled like ``useFIPSAgent`` in another case, which the chart ignores."""
    if not isinstance(doc.root, MappingNode):
        return []
    return [
        Advice(
            "key-ignored",
            f"{text} (line {key_node.start_mark.line + 1}) is not read by the chart: Helm keys"
            f" are case-sensitive, the chart reads {FIPS_AGENT_KEY}",
        )
        for key_node, _ in doc.root.value
        if (text := scalar_key(key_node)) is not None
        and text != FIPS_AGENT_KEY
        and text.lower() == FIPS_AGENT_KEY.lower()
    ]


def _no_sidecar_advice(data: dict[Any, Any]) -> list[Advice]:
    """Other chart settings under which it adds no sidecar (and no DD_FIPS_* variables)."""
    reasons = []
    target = data.get("targetSystem", "linux")
    if target != "linux":
        reasons.append(f"targetSystem is {target!r} (the sidecar is Linux-only)")
    providers = data.get("providers")
    gke = providers.get("gke") if isinstance(providers, dict) else None
    if isinstance(gke, dict):
        for name, shown in (("autopilot", "GKE Autopilot"), ("gdc", "Google Distributed Cloud")):
            if helm_truthy(gke.get(name)):
                reasons.append(f"providers.gke.{name} is on ({shown})")
    return [
        Advice(
            "no-sidecar",
            f"{reason}: the chart adds no fips-proxy sidecar and does not point the Agent"
            " at one, whatever fips.enabled says",
        )
        for reason in reasons
    ]


def _port_range_advice(fips: dict[Any, Any]) -> list[Advice]:
    port = fips.get("port", DEFAULT_PORT_RANGE_START)
    if not isinstance(port, int) or isinstance(port, bool):
        port = DEFAULT_PORT_RANGE_START
    if "portRange" not in fips or fips["portRange"] is None:
        count, how = CHART_DEFAULT_PORT_RANGE, "is not set, so the chart's default of 15 applies"
    else:
        value = fips["portRange"]
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            return [
                Advice(
                    "port-range-short",
                    f"fips.portRange is {value!r}, not a number of ports; run again with"
                    f" --all-ports to set fips.portRange: {PORT_COUNT}",
                )
            ]
        count, how = value, f"is {value}"
    if count >= PORT_COUNT:
        return []
    missing = range(max(count, 0), PORT_COUNT)
    declared = f"declares ports {port}-{port + count - 1}" if count > 0 else "declares no ports"
    missing_ports = (
        f"{port + missing[0]}" if len(missing) == 1 else f"{port + missing[0]}-{port + missing[-1]}"
    )
    products = ", ".join(PRODUCTS_BY_OFFSET[offset] for offset in missing)
    return [
        Advice(
            "port-range-short",
            f"fips.portRange {how}: the fips-proxy sidecar {declared} and not"
            f" {missing_ports} ({products}); the proxy uses {PORT_COUNT} ports. Run again with"
            f" --all-ports to set fips.portRange: {PORT_COUNT} and declare them all",
        )
    ]


def _key_spelling_advice(doc: YamlDocument) -> list[Advice]:
    """Keys the chart ignores because of their case, or a datadog.yaml name."""
    root = doc.root
    if not isinstance(root, MappingNode):
        return []
    advice: list[Advice] = []
    for key_node, _ in root.value:
        text = scalar_key(key_node)
        if text is not None and text != "fips" and text.lower() == "fips":
            advice.append(
                Advice(
                    "key-ignored",
                    f"{text} (line {key_node.start_mark.line + 1}) is not read by the chart:"
                    " Helm keys are case-sensitive, the chart reads fips",
                )
            )
    fips = _mapping_at(root, "fips")
    if fips is None:
        return advice
    for key_node, _ in fips.value:
        text = scalar_key(key_node)
        if text is None or text in _CHART_FIPS_KEYS:
            continue
        line = key_node.start_mark.line + 1
        spelled = [key for key in _CHART_FIPS_KEYS if key.lower() == text.lower()]
        if spelled:
            advice.append(
                Advice(
                    "key-ignored",
                    f"fips.{text} (line {line}) is not read by the chart: Helm keys are"
                    f" case-sensitive, the chart reads fips.{spelled[0]}",
                )
            )
        elif text.lower() == "https":
            advice.append(
                Advice(
                    "key-ignored",
                    f"fips.{text} (line {line}) is a datadog.yaml setting; the chart reads"
                    " fips.use_https",
                )
            )
    return advice


def fips_values(data: Any) -> dict[str, Any]:
    """The chart's ``fips`` values a parsed ``values.yaml`` gives, chart defaults filled in."""
    fips = data.get("fips") if isinstance(data, dict) else None
    fips = fips if isinstance(fips, dict) else {}
    image = fips.get("image") if isinstance(fips.get("image"), dict) else {}
    assert isinstance(image, dict)
    return {
        "enabled": fips.get("enabled", False),
        "use_https": fips.get("use_https", False),
        "port": fips.get("port", DEFAULT_PORT_RANGE_START),
        "portRange": fips.get("portRange", CHART_DEFAULT_PORT_RANGE),
        "local_address": fips.get("local_address", "127.0.0.1"),
        "image_tag": image.get("tag"),
        FIPS_AGENT_KEY: data.get(FIPS_AGENT_KEY, False) if isinstance(data, dict) else False,
    }
