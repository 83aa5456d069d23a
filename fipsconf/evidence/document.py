"""The evidence document: facts and their assessment, sealed with a SHA-256 of itself.

The digest is over the document's canonical JSON (keys sorted, no spaces,
UTF-8) without its ``digest`` member, so any tool that re-serialises the
document (Ansible's ``to_json``, ``jq``) keeps it verifiable, while any
change to a fact or a result shows.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

from fipsconf.evidence import SCHEMA
from fipsconf.evidence.assess import assess
from fipsconf.evidence.controls import DOCTOR_CONTROLS

#: What ``fleet.merge`` calls a host whose name another machine shares (on its copy only).
LABEL = "_label"
DIGEST_ALGORITHM = "sha256"
DIGEST_OF = "the canonical JSON (sorted keys, no spaces, UTF-8) of this document without 'digest'"


def canonical(document: dict[str, Any]) -> bytes:
    """``document`` without its digest, as canonical JSON bytes."""
    body = {key: value for key, value in document.items() if key != "digest"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest_of(document: dict[str, Any]) -> str:
    """The SHA-256 (hex) of ``document``'s canonical form."""
    return hashlib.sha256(canonical(document)).hexdigest()


def build_evidence(
    facts: dict[str, Any], redact: Callable[[Any], Any] = lambda data: data
) -> dict[str, Any]:
    """The sealed evidence document for one host's ``facts``.

    ``facts`` holds ``collected``, ``host``, ``agent``, ``proxy``, ``module``,
    ``live_check`` and ``doctor`` (see docs/evidence.md); each doctor check
    gains the controls its finding supports, and the assessment is added.
    ``redact`` masks secrets in the whole document before it is sealed, so
    the digest is of what is written.
    """
    document: dict[str, Any] = {"schema": SCHEMA, **facts}
    doctor = document.get("doctor") or {}
    for check in doctor.get("checks", []):
        check["controls"] = list(DOCTOR_CONTROLS.get(str(check.get("id")), ()))
    document.update(assess(document))
    return seal(redact(document))


def seal(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with its ``digest`` (replacing any it had)."""
    body = {key: value for key, value in document.items() if key != "digest"}
    body["digest"] = {"algorithm": DIGEST_ALGORITHM, "value": digest_of(body), "of": DIGEST_OF}
    return body


def to_json(document: dict[str, Any]) -> str:
    """The document as people and tools read it: indented JSON, one trailing newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def host_name(document: dict[str, Any]) -> str:
    """The name a report shows for the document's host (its hostname, or a fleet's label)."""
    return str(document.get(LABEL) or (document.get("host") or {}).get("hostname"))
