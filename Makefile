# Shortcuts; the README's two commands are what CI runs.
VENV ?= .venv

.PHONY: setup test demo bench docs changelog release

setup:
	bash tests/setup.sh

test: setup
	bash tests/run.sh

demo: setup
	bash playbooks/run-demo.sh

# Every benchmark side by side with its peers; rewrites docs/performance.md and docs/performance.png.
bench: setup
	$(VENV)/bin/python bench/run.py

# The collection's documentation as a static site in docs/build/html (antsibull-docs, Sphinx).
docs: setup
	PATH=$(abspath $(VENV))/bin:$$PATH bash docs/build-site.sh

# Lints the fragments in changelogs/fragments and regenerates CHANGELOG.md from them.
# To release: set galaxy.yml's version, then `make release` (see docs/contributing.md).
changelog: setup
	$(VENV)/bin/antsibull-changelog lint
	$(VENV)/bin/antsibull-changelog generate

release: setup
	$(VENV)/bin/antsibull-changelog lint
	$(VENV)/bin/antsibull-changelog release
