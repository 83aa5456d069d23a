"""One self-contained HTML page: the verdict first, then each control, then the raw facts.

No script, no external asset (styles inline): it opens from a file, mails as
an attachment and prints (each control kept on one page, colours printed).
"""

from __future__ import annotations

import json
from html import escape
from typing import Any, Iterable

from fipsconf.evidence.assess import FAIL, NOT_APPLICABLE, PASS
from fipsconf.evidence.controls import BY_ID
from fipsconf.evidence.document import host_name

_STYLE = """
:root { --pass: #1a7f37; --fail: #cf222e; --na: #6e7781; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
       margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 8px; } h2 { font-size: 19px; margin: 28px 0 8px;
     border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0 0 6px; }
.verdict { font-size: 20px; font-weight: 700; padding: 10px 14px; border-radius: 6px;
           color: #fff; display: inline-block; margin: 8px 0; }
.verdict.pass { background: var(--pass); } .verdict.fail { background: var(--fail); }
.badge { font-size: 12px; font-weight: 700; padding: 2px 7px; border-radius: 10px; color: #fff;
         white-space: nowrap; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); }
.badge.not-applicable { background: var(--na); }
.summary { font-size: 15px; }
.control { border: 1px solid var(--line); border-left: 6px solid var(--na); border-radius: 6px;
           padding: 10px 14px; margin: 10px 0; break-inside: avoid; }
.control.pass { border-left-color: var(--pass); } .control.fail { border-left-color: var(--fail); }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px;
         border-bottom: 1px solid var(--line); }
th { font-weight: 600; background: #f6f8fa; }
td.status { width: 1%; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
            font-size: 12px; }
pre { background: #f6f8fa; padding: 10px; border-radius: 6px; white-space: pre-wrap;
      overflow-wrap: anywhere; }
.host { border-top: 3px solid var(--line); margin-top: 24px; padding-top: 8px;
        break-inside: avoid; }
.muted { color: var(--na); }
@media print {
  body { padding: 0; max-width: none; font-size: 11px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; } .host { break-before: page; }
}
"""
_WORDS = {PASS: "PASS", FAIL: "FAIL", NOT_APPLICABLE: "N/A"}


def _page(title: str, body: Iterable[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "".join(body)
        + "</body>\n</html>\n"
    )


def _badge(status: str) -> str:
    return f'<span class="badge {escape(status)}">{_WORDS.get(status, escape(status))}</span>'


def _meta(rows: Iterable[tuple[str, Any]]) -> str:
    cells = "".join(
        f"<dt>{escape(name)}</dt><dd>{escape(_shown(value))}</dd>" for name, value in rows
    )
    return f'<dl class="meta">{cells}</dl>\n'


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _verdict(compliant: bool, words: str) -> str:
    kind = "pass" if compliant else "fail"
    return f'<div class="verdict {kind}">{escape(words)}</div>\n'


def _controls(document: dict[str, Any]) -> str:
    requirements = {r["id"]: r for r in document["requirements"]}
    out = []
    for control in document["controls"]:
        known = BY_ID.get(control["id"])
        rows = "".join(
            f'<tr><td class="status">{_badge(r["status"])}</td><td><b>{escape(r["title"])}</b>'
            f' <span class="muted">({escape(r["id"])})</span><br>{escape(r["finding"])}</td></tr>'
            for r in (requirements[i] for i in control["requirements"] if i in requirements)
        )
        statement = f"<p>{escape(known.statement)}.</p>" if known else ""
        out.append(
            f'<article class="control {escape(control["status"])}">'
            f"<h3>{_badge(control['status'])} {escape(control['id'])}"
            f" {escape(control['title'])}</h3>{statement}"
            f"<table><tr><th>result</th><th>requirement and finding</th></tr>{rows}</table>"
            "</article>\n"
        )
    return "".join(out)


def to_html(document: dict[str, Any]) -> str:
    """One host's evidence as a self-contained page."""
    host = document["host"]
    hostname = str(host.get("hostname"))
    verdict = document["verdict"]
    collected = document["collected"]
    toolkit = collected.get("toolkit") or {}
    body = [
        f"<header><h1>FIPS evidence: {escape(hostname)}</h1>\n",
        _verdict(verdict["compliant"], "COMPLIANT" if verdict["compliant"] else "NOT COMPLIANT"),
        f'<p class="summary">{escape(verdict["summary"])}</p>\n',
        _meta(
            [
                ("collected", collected.get("time")),
                ("as root", collected.get("root")),
                ("toolkit", f"fips-setup {toolkit.get('version')}"),
                ("toolkit code SHA-256", toolkit.get("code_sha256")),
                ("evidence SHA-256", document["digest"]["value"]),
                ("digest of", document["digest"]["of"]),
            ]
        ),
        "</header>\n<h2>Controls (NIST SP 800-53 Rev. 5)</h2>\n",
        _controls(document),
        "<h2>Facts</h2>\n",
        _facts(document),
        "<h2>The evidence document</h2>\n",
        f"<pre>{escape(json.dumps(document, indent=2, ensure_ascii=False))}</pre>\n",
    ]
    return _page(f"FIPS evidence: {hostname}", body)


def _facts(document: dict[str, Any]) -> str:
    host = document.get("host") or {}
    agent = document.get("agent") or {}
    proxy = document.get("proxy") or {}
    module = document.get("module") or {}
    live = document.get("live_check") or {}
    os_info = host.get("os") or {}
    parts = [
        "<h3>Host</h3>",
        _meta(
            [
                ("hostname", host.get("hostname")),
                ("OS", f"{os_info.get('name')} {os_info.get('version') or ''}".strip()),
                ("kernel", host.get("kernel")),
                ("architecture", host.get("architecture")),
                ("kernel FIPS mode", (host.get("kernel_fips") or {}).get("value")),
            ]
        ),
        "<h3>Agent</h3>",
        _meta(
            [
                ("flavor", agent.get("flavor")),
                ("version", agent.get("version")),
                ("status", (agent.get("fips_mode") or {}).get("line")),
                ("site", (agent.get("site") or {}).get("value")),
            ]
            + [
                (f"fips.{key}", f"{_shown(value.get('value'))} ({value.get('source')})")
                for key, value in (agent.get("settings") or {}).items()
            ]
        ),
    ]
    if proxy.get("installed"):
        config = proxy.get("config") or {}
        parts += [
            "<h3>Proxy</h3>",
            _meta(
                [
                    ("package", proxy.get("package_version")),
                    ("service", (proxy.get("service") or {}).get("state")),
                    ("loopback only", proxy.get("loopback_only")),
                    ("configuration", config.get("path")),
                    ("configuration SHA-256", config.get("sha256")),
                    ("example SHA-256", config.get("example_sha256")),
                    ("OpenSSL", (proxy.get("openssl") or {}).get("running_on")),
                ]
            ),
            _listeners(proxy.get("listeners") or []),
            _ciphers(proxy.get("tls") or {}),
        ]
    if module:
        parts += [
            "<h3>Cryptographic module</h3>",
            _meta(
                [
                    ("module", f"{module.get('name')} {module.get('module_version') or ''}"),
                    ("certificate", f"#{module.get('certificate')} ({module.get('url')})"),
                    ("standard", module.get("standard")),
                    ("status", module.get("status_words")),
                    ("what it means", module.get("meaning")),
                    ("the vendor's statement", (module.get("claim") or {}).get("says")),
                ]
            ),
        ]
    parts += [
        "<h3>Live check</h3>",
        _meta(
            [
                ("checked", live.get("checked")),
                ("detail", live.get("detail")),
                ("protocol", live.get("protocol")),
                ("cipher", live.get("cipher")),
            ]
        ),
        "<h3>Doctor checks</h3>",
        _doctor(document),
    ]
    return "".join(parts)


def _listeners(listeners: list[dict[str, Any]]) -> str:
    if not listeners:
        return '<p class="muted">nothing listens on the proxy\'s ports</p>'
    rows = "".join(
        f"<tr><td>{escape(str(e.get('port')))}</td><td>{escape(str(e.get('address')))}</td>"
        f"<td>{'yes' if e.get('loopback') else '<b>no</b>'}</td>"
        f"<td>{escape(str(e.get('pid') or ''))} {escape(str(e.get('command') or ''))}</td></tr>"
        for e in listeners
    )
    return (
        "<table><tr><th>port</th><th>address</th><th>loopback</th><th>process</th></tr>"
        f"{rows}</table>"
    )


def _ciphers(tls: dict[str, Any]) -> str:
    seen: dict[str, dict[str, Any]] = tls.get("ciphers") or {}
    if not seen:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(c['name'])}</code></td><td>{escape(str(c.get('iana') or ''))}</td>"
        f"<td>{_shown(c.get('approved'))}</td><td>{escape(c.get('why') or '')}</td></tr>"
        for c in seen.values()
    )
    return (
        "<table><tr><th>cipher toward the intake</th><th>IANA name</th><th>FIPS-approved</th>"
        f"<th>why</th></tr>{rows}</table>"
    )


def _doctor(document: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{escape(str(c.get('status')))}</td><td><code>{escape(str(c.get('id')))}</code>"
        f"</td><td>{escape(str(c.get('finding')))}</td>"
        f"<td>{escape(', '.join(c.get('controls') or []))}</td></tr>"
        for c in (document.get("doctor") or {}).get("checks") or []
    )
    return (
        "<table><tr><th>status</th><th>check</th><th>finding</th><th>supports</th></tr>"
        f"{rows}</table>"
    )


def fleet_html(documents: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    """Many hosts' evidence: the summary, the reasons grouped, then one section per host."""
    total = summary["hosts"]
    bad = summary["not_compliant"]
    body = [
        f"<header><h1>FIPS evidence: {total} host{'s' if total != 1 else ''}</h1>\n",
        _verdict(
            not bad,
            f"{summary['compliant']} of {total} compliant"
            + (f", {len(bad)} NOT COMPLIANT" if bad else ""),
        ),
        f'<p class="summary">{escape(summary["text"])}</p>\n',
        "</header>\n",
    ]
    if summary["reasons"]:
        body.append("<h2>Not compliant, and why</h2>\n")
        for reason in summary["reasons"]:
            rows = "".join(
                f'<tr><td><a href="#{_anchor(h["host"])}">{escape(h["host"])}</a></td>'
                f"<td>{escape(h['finding'])}</td></tr>"
                for h in reason["hosts"]
            )
            controls = escape(", ".join(reason["controls"]))
            body.append(
                f'<article class="control fail"><h3>{escape(reason["title"])}'
                f' <span class="muted">({escape(reason["id"])}: {controls})'
                f"</span> — {len(reason['hosts'])} host"
                f"{'s' if len(reason['hosts']) != 1 else ''}</h3>"
                f"<table><tr><th>host</th><th>finding</th></tr>{rows}</table></article>\n"
            )
    body.append("<h2>Hosts</h2>\n<table><tr><th>host</th><th>verdict</th>")
    body.append("".join(f"<th>{escape(c['id'])}</th>" for c in documents[0]["controls"]))
    body.append("<th>evidence SHA-256</th></tr>\n")
    for document in documents:
        hostname = host_name(document)
        body.append(
            f'<tr><td><a href="#{_anchor(hostname)}">{escape(hostname)}</a></td>'
            f"<td>{_badge(PASS if document['verdict']['compliant'] else FAIL)}</td>"
            + "".join(f"<td>{_badge(c['status'])}</td>" for c in document["controls"])
            + f"<td><code>{escape(document['digest']['value'])}</code></td></tr>\n"
        )
    body.append("</table>\n")
    for document in documents:
        body.append(_host_section(document))
    return _page(f"FIPS evidence: {total} hosts", body)


def _host_section(document: dict[str, Any]) -> str:
    hostname = host_name(document)
    verdict = document["verdict"]
    collected = document["collected"]
    return (
        f'<section class="host" id="{_anchor(hostname)}"><h2>{escape(hostname)}</h2>\n'
        + _verdict(verdict["compliant"], "COMPLIANT" if verdict["compliant"] else "NOT COMPLIANT")
        + f'<p class="summary">{escape(verdict["summary"])}</p>\n'
        + _meta(
            [
                ("collected", collected.get("time")),
                ("agent", f"{document['agent'].get('flavor')} {document['agent'].get('version')}"),
                ("toolkit", (collected.get("toolkit") or {}).get("version")),
                ("evidence SHA-256", document["digest"]["value"]),
            ]
        )
        + _controls(document)
        + "</section>\n"
    )


def _anchor(hostname: str) -> str:
    return "host-" + "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in hostname)
