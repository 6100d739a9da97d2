# rightsbot: the two set-up commands a newcomer needs.
#   make run    install, create rightsbot.toml + database if missing, start the bot
#   make test   install everything the tests need (apt packages when root), ruff, mypy, the suite

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
APT_PACKAGES := dovecot-imapd dovecot-core chromium postgresql openssl
# The packages mypy checks (strict, pyproject.toml); tests/ has two conftest modules.
TYPED := classifier dsr intake responders web rightsbot

.PHONY: run test system-packages lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,postgres,dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/rightsbot init
	$(BIN)/rightsbot run

system-packages:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing (run: sudo apt-get install$$missing)"; exit 1; \
	  fi; \
	fi

test: system-packages $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy $(TYPED)
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy $(TYPED)

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.classify

clean:
	rm -rf $(VENV) var test-artifacts
