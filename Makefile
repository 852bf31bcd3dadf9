# The two commands of the README: `make studio` and `make test`. Both create the environment
# (.venv, pip) on first use and are quick afterwards: it is only rebuilt when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Two busy torch threads on a 2-core machine run slower than one; see docs.
TEST_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False

.PHONY: studio test env clean-env screenshots gpu-check
studio: $(STAMP)
	$(PY) launch.py $(ARGS)

test: $(STAMP)
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

env: $(STAMP)

# On a machine with a CUDA GPU: the GPU paths (bf16/fp16 training, rank search, distillation, export,
# benchmark quick modes) and the step rate; CI has no GPU and skips them.
gpu-check: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) -m pytest tests/test_gpu.py -m gpu -s -q

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
