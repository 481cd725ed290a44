# Quick start: `make demo` (set up, then run the batchnorm recipe) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.nnzoo-installed

.PHONY: setup dev demo test test-slow benchmarks clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# A development venv that reuses the TensorFlow already installed for $(PYTHON).
dev:
	$(PYTHON) -m venv --system-site-packages $(VENV)
	$(BIN)/python -m pip install --quiet 'setuptools>=77' wheel
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip install --quiet 'pytest>=8.0' 'pytest-xdist>=3.8' 'ruff>=0.17' 'tf2onnx>=1.17.0' \
		'onnx>=1.23.2' 'onnxruntime>=1.32.0' 'ai-edge-litert>=2.3.0' 'tensorflow-serving-api>=2.21'
	touch $(STAMP)

demo: setup
	$(BIN)/nnzoo run batchnorm

# The suite on JOBS processes; each test file stays whole in one (its module fixtures and order hold).
# nnzoo is byte-compiled first: the suite starts about 130 Python processes, and where PYTHONDONTWRITEBYTECODE
# is set (as on this project's build machine) each of them would otherwise compile the modules it imports again.
JOBS ?= 2
test: setup
	$(BIN)/python -m compileall -q nnzoo recipes
	$(BIN)/python -m pytest -q -n $(JOBS) --dist loadfile

test-slow: setup
	$(BIN)/python -m pytest -q -m slow

# Every benchmark runs and prints its ratios; the target exits 1 at the end if any missed its goal.
benchmarks: setup
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	status=0; for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || status=1; done; exit $$status

clean:
	rm -rf $(VENV) build *.egg-info
