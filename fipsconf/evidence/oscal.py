"""An OSCAL 1.1 assessment-results document (JSON), as NIST's models define it.

One ``result`` per host: the host is an inventory item; each requirement is an
observation of it (the facts read as relevant evidence); each control that
applies is a finding on its assessment objective (``sc-13_obj``), satisfied or
not, with the observations it rests on. Controls that do not apply are named
in the result's remarks (an OSCAL finding is satisfied or not, nothing else).

Identifiers are UUIDs derived from the evidence's digest (version 5), so the
same evidence always gives the same document.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from fipsconf.evidence.assess import NOT_APPLICABLE, PASS
from fipsconf.evidence.controls import BY_ID, CONTROLS
from fipsconf.evidence.document import host_name
from fipsconf.evidence.facts_excerpt import excerpt_text

OSCAL_VERSION = "1.1.3"
#: Namespace of this toolkit's own properties (``.invalid``: it names, it never resolves).
NS = "https://fips-setup.invalid/ns/oscal"
_ROOT = uuid.UUID("6c1f4a56-1f0e-5a57-9c55-fd1f5e0ce7a1")


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_ROOT, "/".join(parts)))


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "ns": NS, "value": value}


def to_oscal(document: dict[str, Any]) -> dict[str, Any]:
    """One host's evidence as an OSCAL assessment-results document."""
    return fleet_oscal(
        [document], document["verdict"]["summary"], document["digest"]["value"], compact=False
    )


def fleet_oscal(
    documents: list[dict[str, Any]], summary: str, key: str, compact: bool = True
) -> dict[str, Any]:
    """Many hosts' evidence as one assessment-results document (one result per host).

    ``key``: what the document's own identifiers derive from (a digest of the inputs);
    ``compact``: the evidence excerpts without indentation (a fleet's).
    """
    times = [_time(d["collected"]["time"]) for d in documents]
    last = max(times) if times else datetime.now(timezone.utc)
    version = str((documents[0]["collected"].get("toolkit") or {}).get("version") or "0")
    plan = _uuid(key, "assessment-plan")
    hosts = f"{len(documents)} host" + ("s" if len(documents) != 1 else "")
    return {
        "assessment-results": {
            "uuid": _uuid(key, "assessment-results"),
            "metadata": {
                "title": f"Datadog Agent FIPS evidence: {hosts}",
                "last-modified": _iso(last),
                "version": version,
                "oscal-version": OSCAL_VERSION,
                "props": [_prop("tool", "fips-setup evidence")],
                "remarks": summary,
            },
            "import-ap": {
                "href": f"#{plan}",
                "remarks": "no separate assessment plan: the checks are fips-setup's own,"
                " described in the back matter",
            },
            "results": [_result(d, compact) for d in documents],
            "back-matter": {
                "resources": [
                    {
                        "uuid": plan,
                        "title": "fips-setup evidence: what is checked",
                        "description": "Each requirement below is judged from facts fips-setup"
                        " collects on the host (docs/evidence.md): "
                        + "; ".join(f"{c.id} ({c.title}): {c.statement}" for c in CONTROLS),
                    }
                ]
            },
        }
    }


def _result(document: dict[str, Any], compact: bool) -> dict[str, Any]:
    digest = document["digest"]["value"]
    host = document["host"]
    hostname = host_name(document)
    start = _time(document["collected"]["time"])
    end = start + timedelta(seconds=float(document["collected"].get("seconds") or 0))
    subject = _uuid(digest, "host")
    observations = []
    by_requirement = {}
    for requirement in document["requirements"]:
        observation = _uuid(digest, "observation", requirement["id"])
        by_requirement[requirement["id"]] = observation
        observations.append(
            {
                "uuid": observation,
                "title": requirement["title"],
                "description": requirement["finding"],
                "props": [
                    _prop("requirement", requirement["id"]),
                    _prop("result", requirement["status"]),
                ],
                "methods": ["TEST"],
                "types": ["finding"],
                "subjects": [{"subject-uuid": subject, "type": "inventory-item"}],
                "relevant-evidence": [
                    {
                        "description": excerpt_text(
                            document, list(requirement.get("facts") or []), compact
                        ),
                        "props": [_prop("evidence-sha256", digest)],
                    }
                ],
                "collected": _iso(start),
            }
        )
    findings = []
    not_applicable = []
    for control in document["controls"]:
        if control["status"] == NOT_APPLICABLE or control["id"] not in BY_ID:
            not_applicable.append(control["id"])
            continue
        oscal_id = BY_ID[control["id"]].oscal_id
        findings.append(
            {
                "uuid": _uuid(digest, "finding", control["id"]),
                "title": f"{control['id']} {control['title']}",
                "description": control["finding"],
                "target": {
                    "type": "objective-id",
                    "target-id": f"{oscal_id}_obj",
                    "status": {
                        "state": "satisfied" if control["status"] == PASS else "not-satisfied",
                        "reason": "pass" if control["status"] == PASS else "fail",
                    },
                },
                "related-observations": [
                    {"observation-uuid": by_requirement[r]}
                    for r in control["requirements"]
                    if r in by_requirement
                ],
            }
        )
    verdict = document["verdict"]
    remarks = verdict["summary"]
    if not_applicable:
        remarks += f". Not applicable here: {', '.join(not_applicable)}"
    os_info = host.get("os") or {}
    return {
        "uuid": _uuid(digest, "result"),
        "title": f"FIPS evidence of {hostname}",
        "description": f"fips-setup evidence of {hostname}, collected {_iso(start)};"
        f" the evidence's SHA-256 is {digest}",
        "start": _iso(start),
        "end": _iso(end),
        "props": [
            _prop("compliant", "true" if verdict["compliant"] else "false"),
            _prop("evidence-sha256", digest),
        ],
        "local-definitions": {
            "inventory-items": [
                {
                    "uuid": subject,
                    "description": f"{hostname}: {os_info.get('name') or 'Linux'}"
                    f" {os_info.get('version') or ''}".rstrip(),
                    "props": [
                        {"name": "fqdn", "value": str(host.get("hostname") or hostname)},
                        _prop("agent-flavor", str(document["agent"].get("flavor") or "none")),
                    ],
                }
            ]
        },
        "reviewed-controls": {
            "control-selections": [
                {"include-controls": [{"control-id": c.oscal_id} for c in CONTROLS]}
            ]
        },
        "observations": observations,
        "findings": findings,
        "remarks": remarks,
    }


def _time(text: str) -> datetime:
    """An evidence time (``2026-12-08T10:00:00Z``) as an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
