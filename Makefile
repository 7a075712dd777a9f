# The two commands: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean bench

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# The demo: SQLite at var/dangjian.sqlite3 unless DATABASE_URL says otherwise.
run: export DJANGO_DEBUG ?= true
run: export DANGJIAN_REQUIRE_2FA_FOR_ORGANIZERS ?= false
run: $(STAMP)
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The whole suite: on PostgreSQL when DATABASE_URL points at it, else on SQLite.
test: export DANGJIAN_TESTING = true
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: export DANGJIAN_TESTING = true
lint: $(STAMP)
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --check --no-cache .
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# The benchmarks (not part of `make test`): scale S by default, `make bench SCALE=city` for the
# full city. Each writes bench/results.json and the tables of docs/performance.md.
SCALE ?= S
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run --scale $(SCALE)

clean:
	rm -rf $(VENV) var staticfiles
