# fips-setup developer tasks. `make test` sets up everything it needs
# (virtual environments for the oldest and newest supported Pythons) and
# runs the checks and the tests on both.

SHELL := /bin/bash
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)
# The oldest supported Python (the Agent 7.45 embedded interpreter) and the newest.
PY_OLD ?= $(lastword $(sort $(wildcard $(PYENV_ROOT)/versions/3.9.*/bin/python3)))
PY_NEW ?= $(lastword $(sort $(wildcard $(PYENV_ROOT)/versions/3.13.*/bin/python3)))
PYTEST_ARGS ?=
# Parallel pytest workers (pytest-xdist): the unit tests, and the end-to-end
# scenarios, which spend most of their time waiting on their booted hosts.
UNIT_WORKERS ?= 2
E2E_WORKERS ?= 2
# The Ansible collection (built into COLLECTION_TGZ by `make dist`).
COLLECTION_SRC := installer/ansible/ansible_collections/fips_setup/datadog
COLLECTION_VERSION := $(shell sed -n 's/^version: *//p' $(COLLECTION_SRC)/galaxy.yml)
COLLECTION_TGZ := dist/fips_setup-datadog-$(COLLECTION_VERSION).tar.gz

.PHONY: test host-packages lint unit unit-old unit-new unit-all installcheck e2e demo try bench \
	zipapp dist clean collection ansible-sanity

test: host-packages lint unit ansible-sanity installcheck e2e

# The Debian packages the tests and the demo need: installed when run as
# root, otherwise the one command to run is printed and make stops.
host-packages:
	@MAKE_GOAL="$(or $(MAKECMDGOALS),test)" bash scripts/ensure_host_packages.sh

# A virtual environment per interpreter, rebuilt when pyproject.toml changes.
.venv-%/stamp: pyproject.toml
	@test -x "$(PY_$*)" || { echo "make: no Python for $* (PY_$*='$(PY_$*)'); install it with pyenv or set PY_$*=/path/to/python3" >&2; exit 1; }
	rm -rf .venv-$*
	"$(PY_$*)" -m venv .venv-$*
	.venv-$*/bin/python -m pip install -q --upgrade pip
	.venv-$*/bin/python -m pip install -q -e '.[test]'
	touch $@

lint: .venv-NEW/stamp
	.venv-NEW/bin/ruff check .
	.venv-NEW/bin/ruff format --check .
	.venv-NEW/bin/mypy

unit: unit-old unit-new

unit-old: .venv-OLD/stamp
	.venv-OLD/bin/python -m pytest -q -m "not e2e" -n $(UNIT_WORKERS) $(PYTEST_ARGS)
	.venv-OLD/bin/fips-setup configure --config docs/examples/datadog.yaml --dry-run --json >/dev/null

unit-new: .venv-NEW/stamp
	.venv-NEW/bin/python -m pytest -q -m "not e2e" -n $(UNIT_WORKERS) $(PYTEST_ARGS)
	.venv-NEW/bin/fips-setup configure --config docs/examples/datadog.yaml --dry-run --json >/dev/null

# The unit tests on every supported Python in between as well (3.10-3.12),
# on demand: `make test` covers the two ends.
unit-all: unit
	@for v in 3.10 3.11 3.12; do \
	  py=$$(ls -d $(PYENV_ROOT)/versions/$$v.*/bin/python3 2>/dev/null | sort -V | tail -1); \
	  test -n "$$py" || { echo "make: no Python $$v under $(PYENV_ROOT)" >&2; exit 1; }; \
	  test -f .venv-$$v/stamp -a .venv-$$v/stamp -nt pyproject.toml || { \
	    rm -rf .venv-$$v && "$$py" -m venv .venv-$$v && \
	    .venv-$$v/bin/python -m pip install -q --upgrade pip && \
	    .venv-$$v/bin/python -m pip install -q -e '.[test]' && touch .venv-$$v/stamp; } || exit 1; \
	  echo "== Python $$v" && .venv-$$v/bin/python -m pytest -q -m "not e2e" $(PYTEST_ARGS) || exit 1; \
	done

# The end-to-end scenarios on booted systemd test hosts (tests/e2e/README.md).
# They need root and the Debian packages of tests/e2e/debian-packages.txt
# (host-packages installs them); through make a missing prerequisite fails
# them, it never lets them pass by skipping. The Ansible scenarios run from
# .venv-ansible. The zipapp and the collection are built first, once, for
# every worker; the Ansible scenarios run in one worker (they share a build).
e2e: host-packages .venv-NEW/stamp .venv-ansible/stamp dist/fips-setup.pyz $(COLLECTION_TGZ)
	FIPS_SETUP_E2E_REQUIRED=1 .venv-NEW/bin/python -m pytest -q -m e2e tests/e2e --durations=0 \
	  -p no:cacheprovider -n $(E2E_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# `pip install .` (not editable) in a fresh environment gives a working
# fips-setup on the oldest and the newest Python.
installcheck:
	@for py in "$(PY_OLD)" "$(PY_NEW)"; do \
	  dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	  "$$py" -m venv "$$dir" && "$$dir/bin/python" -m pip install -q . && \
	  "$$dir/bin/fips-setup" configure --config docs/examples/datadog.yaml --dry-run --json \
	    | "$$dir/bin/python" -c 'import json,sys; d=json.load(sys.stdin); assert d["changed"] and not d["failed"], d' && \
	  echo "installcheck: $$("$$py" --version) ok" && rm -rf "$$dir" || exit 1; \
	done

# The main job, for real, on a throwaway host: a bare Debian 12 systemd
# container becomes a FIPS-proxied Agent with the one-step install command
# (tests/e2e/demo.py). Needs root and tests/e2e/debian-packages.txt.
demo: host-packages .venv-NEW/stamp
	.venv-NEW/bin/python -m tests.e2e.demo

# Without root: what `configure` would change in the example datadog.yaml
# kept in this repository (nothing is written).
try: .venv-NEW/stamp
	.venv-NEW/bin/fips-setup configure --config docs/examples/datadog.yaml --dry-run

# Whole-process time of `configure --dry-run --json`, from a regular
# (non-editable) install, as users get it.
bench:
	@test -x "$(PY_NEW)" || { echo "make: no Python 3.13 found" >&2; exit 1; }
	rm -rf .venv-bench
	"$(PY_NEW)" -m venv .venv-bench
	.venv-bench/bin/python -m pip install -q .
	.venv-bench/bin/python scripts/bench_configure.py .venv-bench/bin/fips-setup

# A self-contained fips-setup for the Agent's embedded Python (3.9 and up):
# pure-Python dependencies only, resolved for the oldest interpreter.
zipapp: dist/fips-setup.pyz

dist/fips-setup.pyz: pyproject.toml $(shell git ls-files fipsconf installer 2>/dev/null | grep -v '^installer/ansible/')
	@test -x "$(PY_OLD)" || { echo "make: no Python 3.9 found" >&2; exit 1; }
	rm -rf build/pyz && mkdir -p build/pyz dist
	"$(PY_OLD)" -m pip install -q --no-compile --target build/pyz --no-binary charset-normalizer .
	@if find build/pyz -name '*.so' | grep -q .; then \
	  echo "make: compiled modules in the zipapp:" >&2; find build/pyz -name '*.so' >&2; exit 1; fi
	rm -rf build/pyz/bin build/pyz/*.dist-info
	cp installer/zipapp_main.py build/pyz/__main__.py
	"$(PY_OLD)" -m zipapp build/pyz -p '/usr/bin/env python3' -c -o $@
	@echo "built $@ ($$(du -k $@ | cut -f1) KiB)"

# The zipapp and the one-step script carrying its checksum, for publishing at
# PUBLISH_URL (the script downloads the zipapp from there unless FIPS_SETUP_PYZ is set).
PUBLISH_URL ?=
dist: dist/fips-setup.pyz $(COLLECTION_TGZ)
	sum=$$(sha256sum dist/fips-setup.pyz | cut -d' ' -f1); \
	url="$(if $(PUBLISH_URL),$(PUBLISH_URL)/fips-setup.pyz,)"; \
	sed -e "s|^FIPS_SETUP_PYZ_SHA256=\"\"|FIPS_SETUP_PYZ_SHA256=\"$$sum\"|" \
	    -e "s|^FIPS_SETUP_PYZ_URL_DEFAULT=\"\"|FIPS_SETUP_PYZ_URL_DEFAULT=\"$$url\"|" \
	    scripts/install_script_agent7.sh > dist/install_script_agent7.sh
	grep -q "^FIPS_SETUP_PYZ_SHA256=\"[0-9a-f]\{64\}\"" dist/install_script_agent7.sh
	@echo "dist/install_script_agent7.sh carries the zipapp's SHA-256"

# The Ansible collection fips_setup.datadog (docs/ansible.md). Ansible runs on the
# controller from its own environment: ansible-core 2.20+ needs Python 3.12+.
PY_ANSIBLE ?= $(PY_NEW)
# ansible-test bootstraps pip in each sanity environment with a script it downloads
# from a host this network does not reach; it takes a copy from its cache instead.
ANSIBLE_TEST_GET_PIP = $(HOME)/.ansible/test/cache/get_pip_$(subst .,_,$(shell \
	.venv-ansible/bin/python -c 'from ansible_test._internal.python_requirements import get_venv_packages as g; print(g(type("P", (), {"version": "3.13"})())["pip"])' 2>/dev/null)).py

.venv-ansible/stamp: installer/ansible/requirements.txt
	@test -x "$(PY_ANSIBLE)" || { echo "make: no Python 3.12+ for Ansible (PY_ANSIBLE='$(PY_ANSIBLE)')" >&2; exit 1; }
	rm -rf .venv-ansible
	"$(PY_ANSIBLE)" -m venv .venv-ansible
	.venv-ansible/bin/python -m pip install -q --upgrade pip
	.venv-ansible/bin/python -m pip install -q -r installer/ansible/requirements.txt
	touch $@

# The collection's own rules (docs, argument specs, imports, pylint, yamllint...):
# every ansible-test sanity test, without containers (--local), for the controller's
# Python and for 3.9, the oldest Python a managed host runs the modules with.
ansible-sanity: .venv-ansible/stamp
	mkdir -p $(dir $(ANSIBLE_TEST_GET_PIP))
	cp scripts/ansible_test_get_pip.py $(ANSIBLE_TEST_GET_PIP)
	cd $(COLLECTION_SRC) && PATH="$(CURDIR)/.venv-ansible/bin:$(dir $(PY_OLD)):$$PATH" \
	  ansible-test sanity --local --python 3.13 --color no
	cd $(COLLECTION_SRC) && PATH="$(CURDIR)/.venv-ansible/bin:$(dir $(PY_OLD)):$$PATH" \
	  ansible-test sanity --local --python 3.9 --color no --test compile --test import

# The collection tarball, carrying the zipapp (files/fips-setup.pyz).
collection: $(COLLECTION_TGZ)

$(COLLECTION_TGZ): dist/fips-setup.pyz .venv-ansible/stamp $(shell git ls-files $(COLLECTION_SRC) 2>/dev/null)
	rm -rf build/collection && mkdir -p build/collection/files dist
	tar -C $(COLLECTION_SRC) --exclude=__pycache__ --exclude=tests/output -cf - . | tar -C build/collection -xf -
	cp dist/fips-setup.pyz build/collection/files/fips-setup.pyz
	.venv-ansible/bin/ansible-galaxy collection build build/collection --output-path dist --force

clean:
	rm -rf .venv-OLD .venv-NEW .venv-bench .venv-ansible build dist *.egg-info
