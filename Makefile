# Two commands on a fresh machine: `make run` serves the portal, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEV_ENV := DJANGO_DEBUG=1

.PHONY: run test install migrate demo lint format messages check-messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py createcachetable

# seed_demo loads the Klockaretorpet plan first when the database does not have it yet.
demo: migrate
	$(DEV_ENV) $(BIN)/python manage.py seed_demo

run: demo
	@echo "Portalen startar på http://127.0.0.1:8000/ (admin: http://127.0.0.1:8000/admin/). Avsluta med Ctrl+C."
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
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

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
