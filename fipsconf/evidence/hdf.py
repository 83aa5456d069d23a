"""MITRE's Heimdall Data Format (HDF, InSpec's exec JSON), which Heimdall opens.

One profile; one control per requirement, tagged with its NIST SP 800-53
controls; one result each, with the status, the finding as message, and the
facts the requirement read as code description. A requirement that does not
apply has impact 0 (Heimdall shows it as Not Applicable). A fleet report is
one profile whose controls are each host's requirements (``host/requirement``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fipsconf.evidence.assess import FAIL, NOT_APPLICABLE, PASS, REQUIREMENTS
from fipsconf.evidence.controls import BY_ID
from fipsconf.evidence.document import host_name
from fipsconf.evidence.facts_excerpt import excerpt_text

PROFILE_NAME = "fips-setup-datadog-fips-evidence"
_RESULT_STATUS = {PASS: "passed", FAIL: "failed", NOT_APPLICABLE: "skipped"}
_IMPACT = 0.7  # high: a failure means payloads may leave unprotected or unvalidated
_DESCRIPTIONS = {r.id: r for r in REQUIREMENTS}


def to_hdf(document: dict[str, Any]) -> dict[str, Any]:
    """One host's evidence as an HDF document."""
    host = document["host"]
    controls = [_control(document, requirement, "") for requirement in document["requirements"]]
    system = host.get("os") or {}
    return _execution(
        platform={
            # Heimdall shows the name and the release side by side
            "name": str(system.get("base_name") or system.get("id") or "Linux"),
            "release": str(system.get("version") or ""),
            "target_id": str(host.get("hostname") or ""),
        },
        version=_toolkit_version(document),
        duration=float(document["collected"].get("seconds") or 0),
        title=f"Datadog Agent FIPS evidence: {host.get('hostname')}",
        summary=document["verdict"]["summary"],
        sha256=document["digest"]["value"],
        controls=controls,
        passthrough={"evidence_digests": {str(host.get("hostname")): document["digest"]["value"]}},
    )


def fleet_hdf(documents: list[dict[str, Any]], summary: str) -> dict[str, Any]:
    """Many hosts' evidence as one HDF profile (controls ``host/requirement``)."""
    controls = []
    digests = {}
    for document in documents:
        hostname = host_name(document)
        digests[hostname] = document["digest"]["value"]
        for requirement in document["requirements"]:
            controls.append(_control(document, requirement, hostname))
    fleet_digest = hashlib.sha256(
        "\n".join(f"{h} {d}" for h, d in sorted(digests.items())).encode()
    ).hexdigest()
    return _execution(
        # Heimdall shows the name and the release side by side: the count says it all
        platform={"name": f"{len(documents)} hosts", "release": "", "target_id": "fleet"},
        version=_toolkit_version(documents[0]) if documents else "",
        duration=sum(float(d["collected"].get("seconds") or 0) for d in documents),
        title=f"Datadog Agent FIPS evidence: {len(documents)} hosts",
        summary=summary,
        sha256=fleet_digest,
        controls=controls,
        passthrough={"evidence_digests": digests},
    )


def _execution(
    *,
    platform: dict[str, str],
    version: str,
    duration: float,
    title: str,
    summary: str,
    sha256: str,
    controls: list[dict[str, Any]],
    passthrough: dict[str, Any],
) -> dict[str, Any]:
    return {
        "platform": platform,
        "version": version,
        "statistics": {"duration": round(duration, 3)},
        "profiles": [
            {
                "name": PROFILE_NAME,
                "title": title,
                "version": version,
                "maintainer": "fips-setup",
                "summary": summary,
                "license": "Apache-2.0",
                "copyright": None,
                "copyright_email": None,
                "supports": [{"platform-family": "linux"}],
                "attributes": [],
                "groups": [
                    {
                        "id": "fips-setup-requirements",
                        "title": "FIPS requirements, mapped to NIST SP 800-53 Rev. 5",
                        "controls": [c["id"] for c in controls],
                    }
                ],
                "status": "loaded",
                "sha256": sha256,
                "controls": controls,
            }
        ],
        "passthrough": passthrough,
    }


def _control(document: dict[str, Any], requirement: dict[str, Any], host: str) -> dict[str, Any]:
    definition = _DESCRIPTIONS.get(str(requirement["id"]))
    nist = [BY_ID[c].hdf_tag for c in requirement["controls"] if c in BY_ID]
    status = requirement["status"]
    result: dict[str, Any] = {
        "status": _RESULT_STATUS.get(status, "error"),
        "code_desc": excerpt_text(document, list(requirement.get("facts") or []), bool(host)),
        "message": requirement["finding"],
        "start_time": document["collected"]["time"],
        "run_time": float(document["collected"].get("seconds") or 0),
        "resource": host or host_name(document),
    }
    if status == NOT_APPLICABLE:
        result["skip_message"] = requirement["finding"]
    prefix = f"{host}/" if host else ""
    return {
        "id": f"{prefix}{requirement['id']}",
        "title": f"{host}: {requirement['title']}" if host else requirement["title"],
        "desc": requirement["finding"],
        "descriptions": [
            {"label": "default", "data": requirement["title"]},
            {"label": "check", "data": requirement["finding"]},
        ],
        "impact": 0.0 if status == NOT_APPLICABLE else _IMPACT,
        "refs": [],
        "tags": {
            "nist": nist,
            "severity": "none" if status == NOT_APPLICABLE else "high",
            "host": host or host_name(document),
            "evidence_sha256": document["digest"]["value"],
        },
        "code": json.dumps(
            {
                "requirement": requirement["id"],
                "controls": requirement["controls"],
                "reads": requirement.get("facts"),
                "judged_by": f"fipsconf.evidence.assess ({definition.judge.__name__})"
                if definition
                else None,
            },
            indent=None if host else 2,
        ),
        "source_location": {"ref": "fipsconf/evidence/assess.py", "line": 0},
        "results": [result],
    }


def _toolkit_version(document: dict[str, Any]) -> str:
    toolkit = document.get("collected", {}).get("toolkit") or {}
    return str(toolkit.get("version") or "")
