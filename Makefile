# make test               lint, unit and sanity tests, every Molecule scenario and a 2-second benchmark, two at a time
# make test SCENARIO=x    lint, unit and sanity tests and scenario x only (LANES=1: one after another, not two at once)
# make bench              the benchmark (bench/README.md); make bench BENCH_ARGS="--duration 30" passes options
# make demo               the example app in one local container, at http://127.0.0.1:$(DEMO_PORT)/
# make doctor             the doctor's read-only checks of the demo's container (playbooks/doctor.yml)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
COLLECTIONS := $(CURDIR)/.cache/collections
SCENARIO ?=
LANES ?= 2
DEMO_PORT ?= 8080
BENCH_ARGS ?=

export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := true
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv collection lint unit docs sanity suite bench bench-smoke test demo demo-stop doctor release clean

help:
	@sed -n 's/^# //p' Makefile | head -n 5

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

# Ansible finds the collection under test by its FQCN through this link to the repository root.
collection: $(COLLECTIONS)/ansible_collections/wsgi/stack

$(COLLECTIONS)/ansible_collections/wsgi/stack:
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

lint: venv collection
	yamllint --strict .
	ansible-lint
	antsibull-changelog lint

unit: venv collection
	pytest -q tests/unit

# Each role's README.md, written from its meta/argument_specs.yml (tests/unit/test_role_docs.py checks them).
docs: venv
	python3 scripts/role_docs.py

# ansible-test sanity, with no ignore file.
sanity: venv collection
	scripts/sanity.sh

# Every scenario and the benchmark's short run, or scenario $(SCENARIO) only.
suite: venv collection
	WSGI_STACK_LANES=$(LANES) scripts/suite.sh $(SCENARIO)

bench: venv collection
	bench/run.sh $(BENCH_ARGS)

bench-smoke: venv collection
	scripts/suite.sh bench-smoke

test: lint unit sanity suite

demo: venv collection
	scripts/demo.sh $(DEMO_PORT)

demo-stop:
	scripts/demo.sh stop

doctor: venv collection
	ansible-playbook -i examples/demo/hosts.yml playbooks/doctor.yml -e nginx_http_port=$(DEMO_PORT)

# The version galaxy.yml holds (bump it first): its fragments into CHANGELOG.md, then the tarball, whose path it prints.
release: venv
	antsibull-changelog release
	ansible-galaxy collection build --force --output-path .cache/dist . | sed -n 's/^Created collection for .* at //p'

clean:
	rm -rf $(VENV) .cache
