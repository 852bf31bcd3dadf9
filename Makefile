# The two commands of the README: `make studio` and `make test`. Both create the environment
# (.venv, pip) on first use and are quick afterwards: it is only rebuilt when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Two busy torch threads on a 2-core machine run slower than one; see docs.
TEST_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False

.PHONY: studio test env clean-env screenshots
studio: $(STAMP)
	$(PY) launch.py $(ARGS)

test: $(STAMP)
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

env: $(STAMP)

# README pictures: the end-to-end browser test saves a screenshot of every tab.
screenshots: $(STAMP)
	$(TEST_ENV) E2GAN_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/ui/test_end_to_end.py -q

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

clean-env:
	rm -rf $(VENV)
