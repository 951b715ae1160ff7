# The two commands of the README: `make app` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# a classroom serves the LAN: make app ADDRESS=0.0.0.0 (see the README)
ADDRESS ?= localhost

.PHONY: app test setup browser bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.ray-installed: $(VENV)/.installed requirements-ray.txt
	$(PY) -m pip install --quiet -r requirements-ray.txt
	touch $@

setup: $(VENV)/.installed

# the other server settings (no file watching, upload limit, no usage statistics) are in .streamlit/config.toml
app: setup
	$(PY) -m streamlit run app.py --server.address $(ADDRESS) --server.port $(PORT)

# the real-browser test needs Debian's chromium; install it when we can (root with apt), else that test skips
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
		fonts-dejavu-core fonts-noto-cjk fonts-noto-color-emoji >/dev/null; } || echo "chromium not installed: the browser test will be skipped"
	@fc-list 2>/dev/null | grep -qi "noto.*cjk" || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk fonts-noto-color-emoji >/dev/null; } || \
		echo "fonts-noto-cjk not installed: Chinese pages will show missing-glyph boxes and their browser test fails"

test: setup $(VENV)/.ray-installed browser
	$(PY) -m pytest -q

bench: setup
	$(PY) bench/ssl_quality.py && $(PY) bench/throughput.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
