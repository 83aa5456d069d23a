# fips-setup developer and release tasks (docs/development.md). `make test` sets up
# everything it needs (virtual environments for the oldest and newest supported
# Pythons, the release tools) and runs the checks and the tests on both;
# `make dist PUBLISH_URL=https://...` builds a release into dist/.

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
# The Ansible collection's sources (built into a tarball by `make collection` and `make dist`).
COLLECTION_SRC := installer/ansible/ansible_collections/fips_setup/datadog
COLLECTION_VERSION := $(shell sed -n 's/^version: *//p' $(COLLECTION_SRC)/galaxy.yml)

.PHONY: test host-packages lint unit unit-old unit-new unit-all e2e demo try bench \
	zipapp dist distcheck clean collection collection-lint ansible-sanity

test: host-packages lint unit ansible-sanity collection-lint distcheck e2e

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
e2e: host-packages .venv-NEW/stamp .venv-ansible/stamp dist/fips-setup.pyz $(COLLECTION_TGZ) \
	build/browser/stamp
	FIPS_SETUP_E2E_REQUIRED=1 .venv-NEW/bin/python -m pytest -q -m e2e tests/e2e --durations=0 \
	  -p no:cacheprovider -n $(E2E_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Test-only npm packages for the evidence checks in a browser (Heimdall Lite, a driver for
# Debian's Chromium), pinned by tests/e2e/browser/package-lock.json, into build/browser/.
build/browser/stamp: tests/e2e/browser/package.json tests/e2e/browser/package-lock.json
	rm -rf build/browser && mkdir -p build/browser
	cp tests/e2e/browser/package.json tests/e2e/browser/package-lock.json build/browser/
	cd build/browser && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

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

# --- the release (docs/development.md, "Releasing") ---------------------------------------

# The version lives in installer/__init__.py alone: pyproject.toml reads it, the
# zipapp carries it, `make dist` writes it into the script, and galaxy.yml (which
# cannot read it) is held to it here and by tests/release/test_metadata.py.
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"$$/\1/p' installer/__init__.py)
# Where `make dist` writes the release (make distcheck builds one elsewhere).
DIST ?= dist
# Where the release will be published: the script downloads $(PUBLISH_URL)/fips-setup.pyz.
PUBLISH_URL ?=
# LOCAL_ONLY=1: a script without a download URL, for FIPS_SETUP_PYZ=/path/to/fips-setup.pyz.
LOCAL_ONLY ?=
# A GnuPG key (id, fingerprint or address; GNUPGHOME applies) to sign SHA256SUMS with.
SIGNING_KEY ?=

PYZ := $(DIST)/fips-setup.pyz
SCRIPT := $(DIST)/install_script_agent7.sh
WHEEL_NAME := fips_setup-$(VERSION)-py3-none-any.whl
SDIST_NAME := fips_setup-$(VERSION).tar.gz
COLLECTION_NAME := fips_setup-datadog-$(VERSION).tar.gz
COLLECTION_TGZ := $(DIST)/$(COLLECTION_NAME)
RELEASE_FILES := fips-setup.pyz install_script_agent7.sh $(WHEEL_NAME) $(SDIST_NAME) $(COLLECTION_NAME)
SOURCES := pyproject.toml README.md LICENSE $(shell git ls-files fipsconf installer 2>/dev/null | grep -v '^installer/ansible/')

# The release tools (build, twine, ansible-core, ansible-lint, galaxy-importer,
# antsibull-changelog): test and release only, never in the toolkit's environments.
.venv-release/stamp: scripts/release-requirements.txt
	@test -x "$(PY_NEW)" || { echo "make: no Python 3.13 for the release tools: set PY_NEW=/path/to/python3.13" >&2; exit 1; }
	rm -rf .venv-release
	"$(PY_NEW)" -m venv .venv-release
	.venv-release/bin/python -m pip install -q --upgrade pip
	.venv-release/bin/python -m pip install -q -r scripts/release-requirements.txt
	touch $@

# Everything a release holds, into $(DIST)/, with SHA256SUMS over it (and
# SHA256SUMS.asc with SIGNING_KEY). The settings are checked before anything is built.
dist: $(PYZ) $(DIST)/$(WHEEL_NAME) $(DIST)/$(SDIST_NAME) $(COLLECTION_TGZ)
	@url='$(if $(PUBLISH_URL),$(patsubst %/,%,$(PUBLISH_URL))/fips-setup.pyz,)'; \
	sum=$$(sha256sum $(PYZ) | cut -d' ' -f1); \
	sed -e "s|^FIPS_SETUP_VERSION=\"\"|FIPS_SETUP_VERSION=\"$(VERSION)\"|" \
	    -e "s|^FIPS_SETUP_PYZ_SHA256=\"\"|FIPS_SETUP_PYZ_SHA256=\"$$sum\"|" \
	    -e "s|^FIPS_SETUP_PYZ_URL_DEFAULT=\"\"|FIPS_SETUP_PYZ_URL_DEFAULT=\"$$url\"|" \
	    scripts/install_script_agent7.sh > $(SCRIPT).tmp; \
	grep -qx "FIPS_SETUP_VERSION=\"$(VERSION)\"" $(SCRIPT).tmp \
	  && grep -qx "FIPS_SETUP_PYZ_SHA256=\"$$sum\"" $(SCRIPT).tmp \
	  && grep -qx "FIPS_SETUP_PYZ_URL_DEFAULT=\"$$url\"" $(SCRIPT).tmp \
	  || { echo "make: scripts/install_script_agent7.sh lacks the empty FIPS_SETUP_VERSION, FIPS_SETUP_PYZ_SHA256 or FIPS_SETUP_PYZ_URL_DEFAULT line make dist fills in" >&2; exit 1; }; \
	chmod 755 $(SCRIPT).tmp && mv $(SCRIPT).tmp $(SCRIPT)
	@for f in $(DIST)/* $(DIST)/.[!.]*; do \
	  case " $(RELEASE_FILES) SHA256SUMS SHA256SUMS.asc " in *" $${f##*/} "*) ;; *) test -e "$$f" && rm -rf "$$f" ;; esac; \
	done; true
	cd $(DIST) && sha256sum $(RELEASE_FILES) > SHA256SUMS
	rm -f $(DIST)/SHA256SUMS.asc
	$(if $(SIGNING_KEY),gpg --batch --yes --local-user '$(SIGNING_KEY)' --armor --detach-sign --output $(DIST)/SHA256SUMS.asc $(DIST)/SHA256SUMS)
	@echo "make: release $(VERSION) in $(DIST)/: $(RELEASE_FILES) SHA256SUMS$(if $(SIGNING_KEY), SHA256SUMS.asc)"
	@echo 'make: $(if $(PUBLISH_URL),publish them all at $(patsubst %/,%,$(PUBLISH_URL))/,the script takes the zipapp from FIPS_SETUP_PYZ (LOCAL_ONLY))'

# What `make dist` needs to be told, checked before anything is built: one line each.
# A value with a quote, or that is not a plain URL or key name, is refused (it is put
# into the script and into shell commands).
SQ := '
ifneq ($(filter dist,$(MAKECMDGOALS)),)
  ifneq ($(PUBLISH_URL),)
    ifneq ($(LOCAL_ONLY),)
      $(error PUBLISH_URL and LOCAL_ONLY are both set: give one)
    endif
    URL_PROBLEM = is not an https:// (or file://) URL of letters, digits and ._~/%+=,- without credentials
    ifneq ($(findstring $(SQ),$(PUBLISH_URL)),)
      $(error PUBLISH_URL=$(PUBLISH_URL) $(URL_PROBLEM))
    else ifneq ($(shell printf '%s' '$(PUBLISH_URL)' | grep -Eqx '(https://[A-Za-z0-9.-]+(:[0-9]+)?|file://)(/[A-Za-z0-9._~/%+=,-]*)?' || echo bad),)
      $(error PUBLISH_URL=$(PUBLISH_URL) $(URL_PROBLEM))
    endif
  else ifeq ($(LOCAL_ONLY),)
    $(error PUBLISH_URL is not set: set PUBLISH_URL=https://<where dist/ will be published> (the one-step script downloads fips-setup.pyz from there), or LOCAL_ONLY=1 for a script that takes the zipapp from FIPS_SETUP_PYZ)
  endif
  ifneq ($(SIGNING_KEY),)
    KEY_PROBLEM = gpg has no secret key by that name (GNUPGHOME=$(or $(GNUPGHOME),~/.gnupg))
    ifneq ($(findstring $(SQ),$(SIGNING_KEY)),)
      $(error SIGNING_KEY=$(SIGNING_KEY): $(KEY_PROBLEM))
    else ifneq ($(shell gpg --batch --list-secret-keys -- '$(SIGNING_KEY)' >/dev/null 2>&1 || echo bad),)
      $(error SIGNING_KEY=$(SIGNING_KEY): $(KEY_PROBLEM))
    endif
  endif
  ifneq ($(COLLECTION_VERSION),$(VERSION))
    $(error $(COLLECTION_SRC)/galaxy.yml says version $(COLLECTION_VERSION), installer/__init__.py $(VERSION): make them equal)
  endif
endif

# A self-contained fips-setup for any Python from 3.9 (the Agent's embedded one
# too): pure-Python dependencies only, resolved for the oldest interpreter, each
# with its *.dist-info metadata (version, licence) for scanners to read.
zipapp: $(PYZ)

build/fips-setup.pyz: $(SOURCES) installer/zipapp_main.py
	@test -x "$(PY_OLD)" || { echo "make: no Python 3.9 found under $(PYENV_ROOT)/versions: set PY_OLD=/path/to/python3.9 (the zipapp is built for the oldest supported Python)" >&2; exit 1; }
	rm -rf build/pyz && mkdir -p build/pyz
	"$(PY_OLD)" -m pip install -q --no-compile --target build/pyz --no-binary charset-normalizer .
	@if find build/pyz -name '*.so' | grep -q .; then \
	  echo "make: compiled modules in the zipapp:" >&2; find build/pyz -name '*.so' >&2; exit 1; fi
	rm -rf build/pyz/bin
	cp installer/zipapp_main.py build/pyz/__main__.py
	"$(PY_OLD)" -m zipapp build/pyz -p '/usr/bin/env python3' -c -o $@
	@echo "built $@ ($$(du -k $@ | cut -f1) KiB)"

$(DIST)/fips-setup.pyz: build/fips-setup.pyz
	mkdir -p $(DIST) && cp build/fips-setup.pyz $@

# The wheel and the sdist (the wheel is built from the sdist), checked as PyPI would.
build/wheel/$(WHEEL_NAME) build/wheel/$(SDIST_NAME) &: $(SOURCES) .venv-release/stamp
	rm -rf build/wheel
	.venv-release/bin/python -m build --outdir build/wheel .
	.venv-release/bin/twine check --strict build/wheel/$(WHEEL_NAME) build/wheel/$(SDIST_NAME)

$(DIST)/$(WHEEL_NAME) $(DIST)/$(SDIST_NAME): $(DIST)/%: build/wheel/%
	mkdir -p $(DIST) && cp $< $@

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

# The collection tarball, carrying the zipapp (files/fips-setup.pyz) and LICENSE.
collection: $(COLLECTION_TGZ)

build/$(COLLECTION_NAME): build/fips-setup.pyz .venv-release/stamp LICENSE $(shell git ls-files $(COLLECTION_SRC) 2>/dev/null)
	rm -rf build/collection && mkdir -p build/collection/files
	tar -C $(COLLECTION_SRC) --exclude=__pycache__ --exclude=tests/output -cf - . | tar -C build/collection -xf -
	cp build/fips-setup.pyz build/collection/files/fips-setup.pyz
	cp LICENSE build/collection/LICENSE
	.venv-release/bin/ansible-galaxy collection build build/collection --output-path build --force

$(COLLECTION_TGZ): build/$(COLLECTION_NAME)
	mkdir -p $(DIST) && cp $< $@

# The collection against the ecosystem's rules: ansible-lint's production profile
# on its sources and on the example playbooks operators start from, and its
# changelog as antsibull-changelog generates it.
collection-lint: .venv-release/stamp
	cd $(COLLECTION_SRC) && PATH="$(CURDIR)/.venv-release/bin:$$PATH" ANSIBLE_HOME="$(CURDIR)/build/ansible-home" \
	  ansible-lint --profile production --offline --nocolor
	cd docs/ansible && PATH="$(CURDIR)/.venv-release/bin:$$PATH" ANSIBLE_HOME="$(CURDIR)/build/ansible-home" \
	  ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/installer/ansible" ansible-lint --profile production --offline --nocolor fips-proxy.yml fips-agent.yml fips-evidence.yml
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  cp -r $(COLLECTION_SRC)/. "$$tmp" && \
	  (cd "$$tmp" && $(CURDIR)/.venv-release/bin/antsibull-changelog generate >/dev/null) && \
	  { cmp -s "$$tmp/CHANGELOG.md" $(COLLECTION_SRC)/CHANGELOG.md || { \
	    echo "make: $(COLLECTION_SRC)/CHANGELOG.md is not what changelogs/changelog.yaml gives: run antsibull-changelog generate there" >&2; exit 1; }; }

# The release as an operator gets it, built into a scratch folder (dist/ is left
# alone) and checked: scripts/distcheck.sh.
distcheck: .venv-release/stamp
	PY_OLD="$(PY_OLD)" PY_NEW="$(PY_NEW)" VERSION="$(VERSION)" MAKE="$(MAKE)" bash scripts/distcheck.sh

clean:
	rm -rf .venv-OLD .venv-NEW .venv-bench .venv-ansible .venv-release build dist *.egg-info
