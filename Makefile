# The README's two commands: `make run` and `make test`. Both install into .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test clean

install: $(STAMP)

# Reinstall when the dependency list changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The app has no access control: it listens on this machine only unless APP_ADDRESS says otherwise
# (make run APP_ADDRESS=0.0.0.0 exposes it to the network; see SECURITY.md).
APP_ADDRESS ?= 127.0.0.1

run: install
	$(BIN)/streamlit run app.py --server.headless true --server.address $(APP_ADDRESS) --browser.gatherUsageStats false

test: install
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
