"""OSCAL output validated with NIST's OSCAL 1.1 models, through compliance-trestle.

compliance-trestle needs Python 3.10 or newer (a test-only dependency): this
module is collected on those (conftest.py), so the 3.13 run validates and the
3.9 run does not pretend to.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import trestle.core.validator_factory as validators
from trestle.oscal.assessment_results import AssessmentResults

from fipsconf.evidence.fleet import load_evidence, merge, render
from fipsconf.evidence.oscal import OSCAL_VERSION, to_oscal
from tests.fipsconf.evidence.samples import fips_agent_host, proxied_host, sealed, set_check


def validate(document: dict[str, object], tmp_path: Path) -> AssessmentResults:
    """Read the document as trestle reads a file, then run all of trestle's validators."""
    path = tmp_path / "assessment-results.json"
    path.write_text(json.dumps(document))
    model = AssessmentResults.oscal_read(path)
    assert model is not None
    validator = validators.validator_factory.get(argparse.Namespace(mode="all"))
    assert validator.model_is_valid(model, quiet=True, trestle_root=None), validator.error_msg()
    return model


def test_one_hosts_evidence_is_a_valid_assessment_results_document(tmp_path: Path) -> None:
    document = sealed(proxied_host())
    model = validate(to_oscal(document), tmp_path)
    assert model.metadata.oscal_version.__root__ == OSCAL_VERSION
    (result,) = model.results
    states = {f.target.target_id: f.target.status.state.value for f in result.findings}
    assert states == {
        "sc-13_obj": "satisfied", "sc-8_obj": "satisfied", "sc-8.1_obj": "satisfied",
        "cm-6_obj": "satisfied", "cm-2_obj": "satisfied",
    }  # fmt: skip
    assert len(result.observations) == len(document["requirements"])
    digest = document["digest"]["value"]
    assert any(p.value == digest for p in result.props)


def test_a_failing_control_is_not_satisfied_with_the_finding_in_words(tmp_path: Path) -> None:
    facts = proxied_host()
    facts["agent"]["settings"]["enabled"] = {"value": False, "source": "file"}
    set_check(facts, "fips-enabled", "fail", "fips.enabled is false (file): ...")
    model = validate(to_oscal(sealed(facts)), tmp_path)
    findings = {f.target.target_id: f for f in model.results[0].findings}
    assert findings["sc-13_obj"].target.status.state.value == "not-satisfied"
    assert findings["sc-13_obj"].description.startswith("fips-path: fips.enabled is false (file)")
    assert findings["sc-8_obj"].target.status.state.value == "satisfied"


def test_a_merged_fleet_is_valid_too(tmp_path: Path) -> None:
    hosts = [sealed(proxied_host(f"web-{n}")) for n in range(3)] + [sealed(fips_agent_host())]
    fleet = merge([(f"{n}.json", load_evidence(f"{n}.json", json.dumps(d).encode()))
                   for n, d in enumerate(hosts)])  # fmt: skip
    model = validate(json.loads(render(fleet, "oscal")), tmp_path)
    assert len(model.results) == 4
    assert model.metadata.remarks == "4 of 4 hosts compliant"


def test_the_validation_catches_what_the_models_forbid(tmp_path: Path) -> None:
    """The check can fail: a state OSCAL does not know, and two objects with one UUID."""
    import pytest

    document = to_oscal(sealed(proxied_host()))
    result = document["assessment-results"]["results"][0]
    result["findings"][0]["target"]["status"]["state"] = "not-applicable"
    with pytest.raises(Exception, match="state"):
        validate(document, tmp_path)
    document = to_oscal(sealed(proxied_host()))
    observations = document["assessment-results"]["results"][0]["observations"]
    observations[1]["uuid"] = observations[0]["uuid"]
    path = tmp_path / "duplicate.json"
    path.write_text(json.dumps(document))
    model = AssessmentResults.oscal_read(path)
    validator = validators.validator_factory.get(argparse.Namespace(mode="all"))
    assert not validator.model_is_valid(model, quiet=True, trestle_root=None)
