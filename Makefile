# Shortcuts; the README's two commands are what CI runs.
VENV ?= .venv

.PHONY: setup test demo bench

setup:
	bash tests/setup.sh

test: setup
	bash tests/run.sh

demo: setup
	bash playbooks/run-demo.sh

# Every benchmark side by side with its peers; rewrites docs/performance.md and docs/performance.png.
bench: setup
	$(VENV)/bin/python bench/run.py
