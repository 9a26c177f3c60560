# Backprop Studio. `make run` and `make test` each set up everything they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Debian packages Qt's xcb platform plugin needs for a real window, plus Xvfb
# for machines without a screen.
APT_WINDOW := libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
	libxcb-render-util0 libxcb-xkb1 libxkbcommon-x11-0 libxcb-shape0 \
	libegl1 libgl1 libfontconfig1 libdbus-1-3 xvfb xauth
# A checkout that sits beside a shared datasets folder uses it (tests look there too).
SHARED_DATA := $(wildcard $(CURDIR)/../shared/datasets)
ifneq ($(SHARED_DATA),)
export BACKPROP_DATA ?= $(abspath $(SHARED_DATA))
endif

# What the offscreen tests need from the system (Qt's offscreen plugin).
APT_TEST := libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3

# macOS draws windows through Quartz, which sets no DISPLAY: a window opens directly there.
UNAME_S := $(shell uname -s)
XVFB_RUN := xvfb-run -a -s "-screen 0 1920x1080x24"

.PHONY: install run launch test lint bench clean apt-window apt-test

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	@touch $(STAMP)

apt-window:
	@bash .ci/apt-ensure $(APT_WINDOW)

apt-test:
	@bash .ci/apt-ensure $(APT_TEST)

run: install apt-window
	@$(MAKE) --no-print-directory launch

# Open the window: on the screen there is (macOS, or a DISPLAY / Wayland session), else Xvfb.
launch:
	@if [ "$(UNAME_S)" = Darwin ] || [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(PY) main.py $(ARGS); \
	else \
		echo "No display found: opening the window on a virtual screen (Xvfb)."; \
		$(XVFB_RUN) $(PY) main.py $(ARGS); \
	fi

test: lint apt-test
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m mypy

bench: install
	$(PY) -m pip install --quiet -r requirements-bench.txt
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
