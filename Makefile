# make test               lint, unit tests and every Molecule scenario
# make test SCENARIO=x    lint, unit tests and scenario x only
# make demo               the example app in one local container, at http://127.0.0.1:$(DEMO_PORT)/
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
COLLECTIONS := $(CURDIR)/.cache/collections
SCENARIO ?=
DEMO_PORT ?= 8080

export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := true
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv collection lint unit molecule test demo demo-stop clean

help:
	@sed -n 's/^# //p' Makefile | head -n 3

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

unit: venv collection
	pytest -q tests/unit

molecule: venv collection
	scripts/molecule.sh $(SCENARIO)

test: lint unit molecule

demo: venv collection
	scripts/demo.sh $(DEMO_PORT)

demo-stop:
	scripts/demo.sh stop

clean:
	rm -rf $(VENV) .cache
