"""The tests' certificate authority and the stand-in intake's certificate (host openssl)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .util import host_run

#: Names the intake certificate covers: the direct endpoint and every proxy backend.
INTAKE_NAMES = (
    "ddog-gov.com",
    "app.ddog-gov.com",
    "*.ddog-gov.com",
    "*.agent.ddog-gov.com",
    "*.logs.ddog-gov.com",
    "*.profile.ddog-gov.com",
)


@dataclass(frozen=True)
class TestCA:
    """PEM files: the CA certificate, and the intake's certificate and key."""

    __test__ = False

    ca_cert: Path
    intake_cert: Path
    intake_key: Path


def make_test_ca(directory: Path) -> TestCA:
    """Create a CA and an intake server certificate (SANs: INTAKE_NAMES) in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = directory / "ca.key", directory / "ca.crt"
    key, csr, cert = directory / "intake.key", directory / "intake.csr", directory / "intake.crt"
    ext = directory / "intake.ext"
    for private in (ca_key, key):
        host_run(
            [
                "openssl",
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                private,
            ]
        )
        private.chmod(0o600)
    host_run(
        [
            "openssl",
            "req",
            "-x509",
            "-new",
            "-key",
            ca_key,
            "-out",
            ca_cert,
            "-days",
            "3650",
            "-subj",
            "/O=fips-setup e2e tests/CN=fips-setup e2e test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-addext",
            "subjectKeyIdentifier=hash",
        ]
    )
    host_run(
        [
            "openssl",
            "req",
            "-new",
            "-key",
            key,
            "-out",
            csr,
            "-subj",
            "/O=fips-setup e2e tests/CN=app.ddog-gov.com",
        ]
    )
    ext.write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n"
        "subjectAltName=" + ",".join(f"DNS:{name}" for name in INTAKE_NAMES) + "\n"
    )
    host_run(
        [
            "openssl",
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            ca_cert,
            "-CAkey",
            ca_key,
            "-CAcreateserial",
            "-out",
            cert,
            "-days",
            "3650",
            "-extfile",
            ext,
        ]
    )
    return TestCA(ca_cert=ca_cert, intake_cert=cert, intake_key=key)
