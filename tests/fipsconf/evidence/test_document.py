"""The evidence document: sealed with the SHA-256 of its canonical form, secrets masked first."""

from __future__ import annotations

import json

from fipsconf.evidence import SCHEMA
from fipsconf.evidence.document import build_evidence, digest_of, seal, to_json
from fipsconf.redact import Redactor
from tests.fipsconf.evidence.samples import proxied_host, sealed


def test_the_digest_is_of_the_document_without_it_and_survives_reformatting() -> None:
    document = sealed(proxied_host())
    assert document["schema"] == SCHEMA
    assert document["digest"]["algorithm"] == "sha256"
    assert document["digest"]["value"] == digest_of(document)
    # indented, compact or with keys in another order: the same digest
    for text in (to_json(document), json.dumps(document), json.dumps(document, sort_keys=True)):
        assert digest_of(json.loads(text)) == document["digest"]["value"]


def test_any_change_shows_in_the_digest() -> None:
    document = sealed(proxied_host())
    changed = json.loads(json.dumps(document))
    changed["verdict"]["compliant"] = not changed["verdict"]["compliant"]
    assert digest_of(changed) != document["digest"]["value"]
    resealed = seal(changed)
    assert resealed["digest"]["value"] == digest_of(changed)


def test_doctor_checks_carry_the_controls_they_support() -> None:
    document = sealed(proxied_host())
    by_id = {c["id"]: c["controls"] for c in document["doctor"]["checks"]}
    assert by_id["fips-enabled"] == ["SC-13", "SC-8(1)", "CM-6"]
    assert by_id["proxy-ports"] == ["SC-8"]
    assert by_id["root"] == []


def test_secrets_are_masked_before_the_seal() -> None:
    redactor = Redactor()
    key = "0123456789abcdef0123456789abcdef"
    redactor.register(key)
    facts = proxied_host()
    facts["proxy"]["listeners"][0]["command"] = f"haproxy --api-key {key}"
    facts["agent"]["problems"] = [f"api_key: {key} in datadog.yaml", "DD_APP_KEY=s3cr3tvalue1"]
    document = build_evidence(facts, redact=redactor.redact_data)
    text = json.dumps(document)
    assert key not in text and "s3cr3tvalue1" not in text
    assert document["digest"]["value"] == digest_of(document)
