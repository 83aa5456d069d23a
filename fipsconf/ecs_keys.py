"""CloudFormation's spelling of container definitions, to and from the ECS API's.

CloudFormation's ``ContainerDefinitions`` are the ECS API's
``containerDefinitions`` with each property name capitalised (``Name``,
``Image``, ``Environment: [{Name, Value}]``, ``PortMappings:
[{ContainerPort, Protocol}]``, ``DependsOn: [{ContainerName, Condition}]``).
The ECS editor works in the API's spelling; these functions rename the
properties it reads or writes, at the places they occur, and nothing else:
user data such as ``DockerLabels`` keys or ``LogConfiguration`` options, and
intrinsic functions (``{"Fn::Sub": ...}``), keep their keys.
"""

from __future__ import annotations

from typing import Any

from fipsconf.errors import DocumentError

#: Container properties the editor reads or writes.
_CONTAINER_KEYS = (
    "name",
    "image",
    "essential",
    "environment",
    "environmentFiles",
    "secrets",
    "portMappings",
    "memory",
    "memoryReservation",
    "dependsOn",
    "links",
    "volumesFrom",
)
#: The properties of the objects in a container's lists, by list.
_ITEM_KEYS = {
    "environment": ("name", "value"),
    "secrets": ("name", "valueFrom"),
    "environmentFiles": ("value", "type"),
    "portMappings": (
        "containerPort",
        "hostPort",
        "protocol",
        "containerPortRange",
        "hostPortRange",
        "name",
        "appProtocol",
    ),
    "dependsOn": ("containerName", "condition"),
    "volumesFrom": ("sourceContainer", "readOnly"),
}


def _capitalised(key: str) -> str:
    return key[0].upper() + key[1:]


def is_cloudformation(containers: list[Any]) -> bool:
    """True when container definitions are spelled as CloudFormation spells them (``Name``)."""
    dicts = [c for c in containers if isinstance(c, dict)]
    return (
        bool(dicts)
        and any("Name" in c or "Image" in c for c in dicts)
        and not any("name" in c or "image" in c for c in dicts)
    )


def to_api_spelling(containers: list[Any]) -> list[Any]:
    """A copy of CloudFormation container definitions in the ECS API's spelling.

    Raises DocumentError when a container gives one property in both spellings.
    """
    return [_renamed(container, inward=True) for container in containers]


def to_cloudformation_spelling(containers: list[Any]) -> list[Any]:
    """A copy of container definitions in the API's spelling, spelled as CloudFormation does."""
    return [_renamed(container, inward=False) for container in containers]


def _renamed(container: Any, *, inward: bool) -> Any:
    if not isinstance(container, dict):
        return container
    out = _rename_keys(container, _CONTAINER_KEYS, inward=inward)
    for api_key, item_keys in _ITEM_KEYS.items():
        key = api_key if inward else _capitalised(api_key)
        items = out.get(key)
        if isinstance(items, list):
            out[key] = [
                _rename_keys(item, item_keys, inward=inward) if isinstance(item, dict) else item
                for item in items
            ]
    return out


def _rename_keys(mapping: dict[str, Any], keys: tuple[str, ...], *, inward: bool) -> dict[str, Any]:
    """``mapping`` with ``keys`` renamed (capitalised to API spelling, or back), order kept."""
    renames = {_capitalised(k): k for k in keys} if inward else {k: _capitalised(k) for k in keys}
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        new = renames.get(key, key)
        if new in out or (new != key and new in mapping):
            raise DocumentError(
                f"a container definition gives {key!r} and {new!r}; CloudFormation spells"
                f" it {_capitalised(new)!r}: keep one"
            )
        out[new] = value
    return out
