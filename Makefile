# The README's commands. Everything runs from .venv, which `make install` creates.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEV_ENV := DJANGO_DEBUG=True

.PHONY: install run test fuzz faults test-fast lint bench e2e migrations-check deploy-check clean pdf-sample \
	demo-code

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# Quiet: one line per stage; the URL and the logins come last, once the server listens. The demo
# plans' PDFs are rendered by the server in the background, after it is up (see seed_demo).
run: install
	@mkdir -p var/static
	@echo "Preparing the database (migrations)..."
	@$(DEV_ENV) $(BIN)/python manage.py migrate --noinput --verbosity 0
	@$(DEV_ENV) $(BIN)/python manage.py seed_demo
	@# Without a broker, the reminder loop runs beside the server (one pass a minute) and stops
	@# with it; its e-mails print to this console.
	@$(DEV_ENV) TAPER_SITE_URL=$${TAPER_SITE_URL:-http://127.0.0.1:$(PORT)} \
		$(BIN)/python manage.py send_due_reminders --loop & loop=$$!; \
	trap 'kill $$loop 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) TAPER_SITE_URL=$${TAPER_SITE_URL:-http://127.0.0.1:$(PORT)} \
		$(BIN)/python manage.py serve_demo 127.0.0.1:$(PORT)

test: install
	$(BIN)/pytest -n 2 --dist loadgroup

# Only the schemathesis test (make test runs it too): ~3,200 generated API requests, 1-2 minutes.
fuzz: install
	$(BIN)/pytest -m schemathesis tests/api -p no:xdist

# Only the fault tests (make test runs them too): real workers, beats, redis-server and gunicorn
# killed or restarted. Three need DATABASE_URL=postgres://...; see README.
faults: install
	$(BIN)/pytest -m faults tests/faults -p no:xdist

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	@# Security lint: no medium or high finding (the reviewed ones carry a "nosec" and a reason).
	$(BIN)/bandit -q -ll -r accounts audit catalogue checkins clinic medications patients \
		schedules taper_clinic -x '*/migrations/*' 2>/dev/null

e2e: install
	$(BIN)/pytest -m e2e tests/e2e -p no:xdist

migrations-check: install
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

deploy-check: install
	DJANGO_SECRET_KEY=ci-$$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n') \
	DJANGO_ALLOWED_HOSTS=taper.example.org DATABASE_URL=sqlite:///var/deploy-check.sqlite3 \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# Every benchmark prints its own detail and writes its headline figures to var/bench/<name>.json;
# the last step prints them as one table. A benchmark that fails does not stop the others: the
# table lists it as missing and `make bench` then fails.
bench: install
	@rm -rf var/bench
	-$(BIN)/python bench/engine_results.py
	-$(BIN)/python bench/pdf.py
	-$(BIN)/python bench/sign.py
	-$(BIN)/python bench/pages.py
	-$(BIN)/python bench/fanout.py
	-$(BIN)/python bench/load.py
	$(BIN)/python bench/report.py

# The current two-factor code of a demo user (the demo authenticator's key is published).
WHO ?= prescriber
demo-code: install
	@$(DEV_ENV) $(BIN)/python manage.py demo_code $(WHO)

pdf-sample: install
	$(DEV_ENV) $(BIN)/python manage.py pdf_sample --output var/sample.pdf

clean:
	rm -rf $(VENV) var db.sqlite3 *.egg-info
