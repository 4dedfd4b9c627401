# Two commands on a fresh machine: `make run` serves the portal, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEV_ENV := DJANGO_DEBUG=1
# The Debian packages of scripts/system-packages: installed with apt-get when make runs as root,
# otherwise named with the command that installs them.
SYSTEM_PACKAGES := PYTHON=$(PYTHON) sh scripts/system-packages.sh install

.PHONY: run test install migrate demo lint format messages check-messages clean backup restore

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(SYSTEM_PACKAGES) venv
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	@$(SYSTEM_PACKAGES) portal
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

# seed_demo loads the Klockaretorpet plan first when the database does not have it yet.
demo: migrate
	$(DEV_ENV) $(BIN)/python manage.py seed_demo

run: demo
	@echo "Portalen startar på http://127.0.0.1:8000/ (admin: http://127.0.0.1:8000/admin/). Avsluta med Ctrl+C."
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

# Production serving: gunicorn (gunicorn.conf.py) with DJANGO_DEBUG off, configured by the
# environment (.env.example). The secret key is checked before anything runs, migrations included.
ifneq ($(filter serve,$(MAKECMDGOALS)),)
ifeq ($(strip $(DJANGO_SECRET_KEY)),)
$(error DJANGO_SECRET_KEY är inte satt: make serve kör portalen med DJANGO_DEBUG=0 och läser inställningarna från miljön (se .env.example))
endif
endif
.PHONY: serve
serve: install
	@$(SYSTEM_PACKAGES) portal
	DJANGO_DEBUG=0 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=0 $(BIN)/python manage.py collectstatic --noinput
	DJANGO_DEBUG=0 exec $(BIN)/gunicorn -c gunicorn.conf.py klockaretorpet.wsgi

# Tests whose package is missing and cannot be installed are skipped; the run's last line names
# them and the package (tests/system_packages.py). With CI=true a missing package fails the run.
test: install
	@$(SYSTEM_PACKAGES) portal test
	@sh scripts/oidc-test-provider.sh install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Extract new strings into locale/sv and compile; the compiled .mo is committed so that
# running the portal needs no gettext tools.
messages: install
	$(DEV_ENV) $(BIN)/python manage.py makemessages --locale sv --no-obsolete --add-location file --ignore ".venv/*"
	$(DEV_ENV) $(BIN)/python manage.py compilemessages --locale sv --ignore ".venv/*"

# Fails when a translatable string lacks its Swedish translation or the .mo is stale.
check-messages: install
	bash .ci/check-translations

# The database DATABASE_URL selects, as for the portal. `make backup` writes
# backups/<database>-<time>.dump (PostgreSQL) or .sqlite3 (SQLite), or FILE=… (a file or folder).
# `make restore FILE=…` replaces the database's whole content with the backup's.
backup: install
	$(BIN)/python scripts/backup.py $(if $(FILE),"$(FILE)")

restore: install
	@test -n "$(FILE)" || { echo "Användning: make restore FILE=backups/<fil>.dump eller .sqlite3" >&2; exit 2; }
	$(BIN)/python scripts/restore.py "$(FILE)"

# Figures for a note, not tests (see benchmarks/__main__.py): the pages against a naive baseline,
# gunicorn under load (wrk), the PDF report and the Excel import/export. About 5 minutes.
.PHONY: bench
bench: install
	@$(SYSTEM_PACKAGES) portal bench
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
