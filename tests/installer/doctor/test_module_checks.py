"""The crypto-module check: which validated module the host relies on, and its dated status."""

from __future__ import annotations

from fipsconf.crypto_modules import TABLE_DATE
from tests.fakes import FakeHost
from tests.installer.conftest import HostFactory
from tests.installer.doctor.conftest import Doctor


def test_a_proxied_host_relies_on_certificate_4282_historical_since_september_2026(
    healthy: FakeHost, run_doctor: Doctor
) -> None:
    module = run_doctor(healthy, agent_check=False)["crypto-module"]
    assert module.status == "info"  # never a failure: existing systems may keep it
    assert module.finding == (
        "the FIPS proxy (datadog-fips-proxy: HAProxy with OpenSSL 3.0 and its FIPS provider)"
        " relies on the OpenSSL FIPS Provider, CMVP certificate #4282: FIPS 140-2, Historical"
        f" since 2026-09-22 (as of {TABLE_DATE}): a Historical validation: agencies may keep"
        " using it in existing systems, but a new authorization should rely on a module with"
        " an active validation (FIPS 140-3)"
    )
    assert module.fix is not None
    assert "#4985, OpenSSL FIPS Provider FIPS 140-3" in module.fix
    assert "docs/evidence.md" in module.fix


def test_the_fips_agent_names_the_provider_version_its_build_pins(
    healthy: FakeHost, run_doctor: Doctor
) -> None:
    healthy.system.packages["datadog-fips-agent"] = "1:7.70.0-1"
    del healthy.system.packages["datadog-agent"]
    module = run_doctor(healthy, agent_check=False)["crypto-module"]
    assert module.status == "info"
    assert module.finding.startswith(
        "the FIPS Agent (datadog-fips-agent: the Agent built with OpenSSL's FIPS provider) relies"
        " on the OpenSSL FIPS Provider 3.0.9, CMVP certificate #4282: FIPS 140-2, Historical"
    )


def test_no_fips_module_in_use_is_a_skip(make_host: HostFactory, run_doctor: Doctor) -> None:
    module = run_doctor(make_host(), agent_check=False)["crypto-module"]
    assert module.status == "skip"
    assert module.finding == (
        "neither datadog-fips-proxy nor datadog-fips-agent is installed: no FIPS module is in use"
    )
