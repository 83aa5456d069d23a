"""Many hosts' evidence joined into one report: checked first, then summarised.

Every input is checked before anything is merged: it must be JSON, be this
toolkit's evidence (its ``schema``), still match its own SHA-256, and carry
the members a report reads. The first input that fails is named in one line
and nothing is merged. The summary comes first in every format: how many
hosts are compliant, and for the others why, grouped by the requirement that
failed; then each host, with its evidence's digest kept.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any, NamedTuple

from fipsconf.errors import DocumentError
from fipsconf.evidence import SCHEMA
from fipsconf.evidence.assess import FAIL
from fipsconf.evidence.controls import CONTROLS
from fipsconf.evidence.document import LABEL, digest_of, host_name

FORMATS = ("html", "hdf", "oscal", "csv", "json")


class EvidenceError(DocumentError):
    """An input of ``evidence merge`` that is not intact fips-setup evidence."""

    code = "bad-evidence"


def load_evidence(name: str, data: bytes) -> dict[str, Any]:
    """The evidence document in ``data`` (from the file ``name``), checked whole.

    Accepts a document ``evidence --format json`` wrote, or a JSON object with
    it under ``evidence`` (``evidence --json``, the Ansible module's result).
    Raises EvidenceError naming ``name`` and the problem in one line.
    """
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise EvidenceError(f"{name}: not UTF-8 text (byte {exc.start}): not evidence") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        early = exc.pos >= len(data.rstrip()) or exc.msg.startswith("Unterminated string")
        cut = " (the file ends early: truncated?)" if early else ""
        raise EvidenceError(
            f"{name}: not valid JSON at {where}: {exc.msg}{cut}; nothing was merged"
        ) from None
    if isinstance(document, dict) and "schema" not in document:
        wrapped = document.get("evidence")
        if isinstance(wrapped, dict):
            document = wrapped
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        found = document.get("schema") if isinstance(document, dict) else None
        said = f"its schema is {found!r}" if found else "it has no 'schema' member"
        raise EvidenceError(
            f"{name}: not fips-setup evidence ({said}, not {SCHEMA!r}): give the files"
            " 'fips-setup evidence --format json' writes; nothing was merged"
        )
    digest = document.get("digest")
    recorded = digest.get("value") if isinstance(digest, dict) else None
    if not isinstance(recorded, str) or digest_of(document) != recorded:
        raise EvidenceError(
            f"{name}: damaged: its contents no longer match its SHA-256"
            f" ({'none recorded' if recorded is None else str(recorded)[:16] + '...'}): it was"
            " changed after fips-setup wrote it; collect it again; nothing was merged"
        )
    _require_shape(name, document)
    return document


def _require_shape(name: str, document: dict[str, Any]) -> None:
    """The members a report reads, with their types (a sealed but malformed document)."""
    expected: list[tuple[str, Any, type]] = [
        ("host", document.get("host"), dict),
        ("host.hostname", (document.get("host") or {}).get("hostname"), str),
        ("collected", document.get("collected"), dict),
        ("collected.time", (document.get("collected") or {}).get("time"), str),
        ("agent", document.get("agent"), dict),
        ("requirements", document.get("requirements"), list),
        ("controls", document.get("controls"), list),
        ("verdict", document.get("verdict"), dict),
        ("verdict.compliant", (document.get("verdict") or {}).get("compliant"), bool),
        ("verdict.summary", (document.get("verdict") or {}).get("summary"), str),
    ]
    for what, value, kind in expected:
        if not isinstance(value, kind):
            raise EvidenceError(
                f"{name}: damaged: {what} is missing or not a {kind.__name__}; nothing was merged"
            )
    for index, entry in enumerate(document["requirements"] + document["controls"]):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(key), str) for key in ("id", "status", "finding")
        ):
            raise EvidenceError(
                f"{name}: damaged: requirement or control {index + 1} lacks its id, status or"
                " finding; nothing was merged"
            )


class Fleet(NamedTuple):
    """The hosts' documents (non-compliant first, then by name) and the summary."""

    documents: list[dict[str, Any]]
    summary: dict[str, Any]
    digest: str  # of the inputs: the hosts and their evidence digests


def merge(named: list[tuple[str, dict[str, Any]]]) -> Fleet:
    """Join checked documents (``(file name, document)``); raises EvidenceError on duplicates."""
    seen: dict[tuple[str, str], str] = {}
    names: dict[str, int] = {}
    for name, document in named:
        hostname = document["host"]["hostname"]
        machine = str(document["host"].get("machine_id") or "")
        if (hostname, machine) in seen:
            raise EvidenceError(
                f"{name} and {seen[hostname, machine]} are both evidence of {hostname}"
                f"{f' (machine {machine[:12]})' if machine else ''}: give one file per host;"
                " nothing was merged"
            )
        seen[hostname, machine] = name
        names[hostname] = names.get(hostname, 0) + 1
    copies = []
    for _, document in named:
        hostname = document["host"]["hostname"]
        if names[hostname] > 1:  # machines sharing a name (cloned images): told apart
            machine = str(document["host"].get("machine_id") or "")[:12]
            document = {**document, LABEL: f"{hostname} [{machine}]"}
        copies.append(document)
    documents = sorted(copies, key=lambda d: (d["verdict"]["compliant"], host_name(d)))
    reasons: dict[str, dict[str, Any]] = {}
    for document in documents:
        for requirement in document["requirements"]:
            if requirement["status"] != FAIL:
                continue
            reason = reasons.setdefault(
                requirement["id"],
                {
                    "id": requirement["id"],
                    "title": requirement.get("title", requirement["id"]),
                    "controls": list(requirement.get("controls") or []),
                    "hosts": [],
                },
            )
            reason["hosts"].append({"host": host_name(document), "finding": requirement["finding"]})
    grouped = sorted(reasons.values(), key=lambda r: (-len(r["hosts"]), r["id"]))
    not_compliant = [host_name(d) for d in documents if not d["verdict"]["compliant"]]
    compliant = len(documents) - len(not_compliant)
    text = f"{compliant} of {len(documents)} hosts compliant"
    if not_compliant:
        why = "; ".join(
            f"{r['title']} ({r['id']}): {', '.join(h['host'] for h in r['hosts'])}" for r in grouped
        )
        text += f"; not compliant: {', '.join(not_compliant)}, because: {why}"
    digests = sorted((host_name(d), d["digest"]["value"]) for d in documents)
    summary = {
        "hosts": len(documents),
        "compliant": compliant,
        "not_compliant": not_compliant,
        "reasons": grouped,
        "text": text,
        "evidence_digests": dict(digests),
    }
    fleet_digest = hashlib.sha256("\n".join(f"{h} {d}" for h, d in digests).encode()).hexdigest()
    return Fleet(documents, summary, fleet_digest)


def render(fleet: Fleet, form: str) -> str:
    """The fleet report in ``form`` (one of FORMATS), as text."""
    if form == "csv":
        return to_csv(fleet)
    if form == "html":
        from fipsconf.evidence.html import fleet_html

        return fleet_html(fleet.documents, fleet.summary)
    if form == "hdf":
        from fipsconf.evidence.hdf import fleet_hdf

        return _compact(fleet_hdf(fleet.documents, fleet.summary["text"]))
    if form == "oscal":
        from fipsconf.evidence.oscal import fleet_oscal

        return _compact(fleet_oscal(fleet.documents, fleet.summary["text"], fleet.digest))
    if form == "json":  # each document as it was sealed (without a fleet's label)
        hosts = [{k: v for k, v in d.items() if k != LABEL} for d in fleet.documents]
        return _compact({"summary": fleet.summary, "hosts": hosts})
    raise ValueError(f"unknown format {form!r}")


def _compact(document: dict[str, Any]) -> str:
    """A fleet's JSON report without indentation: for a thousand hosts, a third of the size."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


CSV_COLUMNS = (
    "host",
    "compliant",
    "failed_controls",
    "reasons",
    *(control.id for control in CONTROLS),
    "agent_flavor",
    "agent_version",
    "proxy_version",
    "module_certificate",
    "module_status",
    "collected",
    "toolkit_version",
    "evidence_sha256",
)


def to_csv(fleet: Fleet) -> str:
    """One row per host (non-compliant first), a header row first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for document in fleet.documents:
        statuses = {c["id"]: c["status"] for c in document["controls"]}
        module = document.get("module") or {}
        failing = [r for r in document["requirements"] if r["status"] == FAIL]
        writer.writerow(
            [
                _cell(host_name(document)),
                "yes" if document["verdict"]["compliant"] else "no",
                " ".join(document["verdict"].get("failed_controls") or []),
                _cell(" | ".join(f"{r['id']}: {r['finding']}" for r in failing)),
                *(statuses.get(control.id, "") for control in CONTROLS),
                _cell(document["agent"].get("flavor") or ""),
                _cell(document["agent"].get("version") or ""),
                _cell((document.get("proxy") or {}).get("package_version") or ""),
                _cell(module.get("certificate") or ""),
                _cell(module.get("status_words") or ""),
                _cell(document["collected"]["time"]),
                _cell((document["collected"].get("toolkit") or {}).get("version") or ""),
                document["digest"]["value"],
            ]
        )
    return out.getvalue()


def _cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: never a formula (CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
