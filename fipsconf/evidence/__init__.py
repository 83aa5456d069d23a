"""Compliance evidence: one host's facts in, documents assessors load out.

Pure: text and data in, text out, no host access. :mod:`installer.evidence`
collects the facts on a host; this package judges them against NIST SP 800-53
Rev. 5 controls (:mod:`.assess`), seals the document with its SHA-256
(:mod:`.document`), renders it as HDF, OSCAL or HTML, and joins many hosts'
documents into a fleet report (:mod:`.fleet`).
"""

#: The ``schema`` of the toolkit's own evidence document (the source of every format).
SCHEMA = "fips-setup-evidence/1"
