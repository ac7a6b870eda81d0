# Everything a fresh clone needs, with only Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
MO     := $(patsubst %.po,%.mo,$(wildcard locales/*/LC_MESSAGES/ikiganiro.po))

.PHONY: demo charter test transcripts lint typecheck check i18n-extract i18n-update i18n-compile i18n-review run soak bench docker docker-check lock clean

demo: $(STAMP) $(MO)          ## a whole session through the real bot, offline, no token
	$(BIN)/ikiganiro demo

# The demo's charter as the group gets it, drawn to docs/charter.png (the README shows it) by
# PDFium (pypdfium2, a dev dependency: no system package needed). CHARTER_LANGUAGE=rn for another.
CHARTER_LANGUAGE ?= en
charter: $(STAMP) $(MO)       ## render the demo's charter (PDF) to docs/charter.png, to look at
	mkdir -p build
	$(BIN)/ikiganiro demo --language $(CHARTER_LANGUAGE) --charter build/charter.pdf > /dev/null
	$(BIN)/pypdfium2 render build/charter.pdf --pages 1 --scale 1.4 --format png \
		--output build --prefix charter-page > /dev/null
	mv build/charter-page1.png docs/charter.png
	@echo "docs/charter.png (from build/charter.pdf)"

test: $(STAMP) $(MO)          ## lint, types, script check and the test suite (what CI runs)
	$(BIN)/python .ci/check_locks.py
	$(BIN)/ruff check bot tests bench .ci
	$(BIN)/ruff format --check bot tests bench .ci
	$(BIN)/mypy
	$(BIN)/ikiganiro check
	$(BIN)/python -m pytest

transcripts: $(STAMP) $(MO)   ## rewrite tests/transcripts/ (the demo's golden output) after an intended change
	$(BIN)/python -m pytest --update-transcripts tests/test_transcripts.py

# Every install is pinned: the venv gets exactly requirements-dev.lock (runtime and dev tools),
# then the project itself without resolving anything (its build backend, setuptools, is pinned
# in the lock too), so a fresh clone next month installs what CI tested today.
$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --requirement requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --editable .
	@touch $@

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -D ikiganiro -i $< -o $@ --statistics

i18n-compile: $(MO)

i18n-extract: $(STAMP)        ## refresh locales/ikiganiro.pot from the code and the scripts
	$(BIN)/pybabel extract -F babel.cfg -k pgettext:1c,2 -k npgettext:1c,2,3 -k N_ \
		--add-comments=TRANSLATORS: --sort-by-file --no-wrap \
		--project=Ikiganiro --msgid-bugs-address=translators@ikiganiro.invalid \
		-o locales/ikiganiro.pot .

i18n-update: i18n-extract     ## merge the template into every catalog
	$(BIN)/pybabel update -D ikiganiro -i locales/ikiganiro.pot -d locales --no-wrap
	$(BIN)/python -m bot.i18n.plurals $(wildcard locales/*/LC_MESSAGES/ikiganiro.po)

i18n-review: $(STAMP)         ## rewrite docs/kirundi-review.md (Kirundi, back-translation, note) from the rn catalog
	$(BIN)/python -m bot.i18n.review

run: $(STAMP) $(MO)           ## serve a real group (needs IKIGANIRO_TOKEN and IKIGANIRO_DATA_KEY)
	$(BIN)/ikiganiro run

KILLS ?= 50
SEED  ?= 7
ODD   ?= 10000
FAULT_SEEDS ?= 1 2 3 4 5 6 7 8
# Each soak prints its figures beside its goals; all run, and the target fails if any did.
soak: $(STAMP) $(MO)          ## kill -9 at random points (KILLS=; the bot, then the sender alone), odd updates (ODD=), sessions under faults (FAULT_SEEDS=), a full disk
	@rc=0; \
	$(BIN)/python bench/kill_restart.py --kills $(KILLS) --seed $(SEED) || rc=1; \
	$(BIN)/python bench/sender_kill.py --kills $(KILLS) --seed $(SEED) --messages 100 || rc=1; \
	$(BIN)/python bench/oddities.py --count $(ODD) --seed $(SEED) || rc=1; \
	$(BIN)/python bench/faults.py --seeds $(FAULT_SEEDS) || rc=1; \
	$(BIN)/python bench/full_disk.py || rc=1; \
	exit $$rc

bench: $(STAMP) $(MO)          ## per-update cost (throughput, against bare PTB), 1,000 groups at once, a crowded group under Telegram's limits, the sender against 30/s, a 200-person summary and charter
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/engine_step.py
	$(BIN)/python bench/baseline.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/group.py
	$(BIN)/python bench/summary_length.py
	$(BIN)/python bench/votes.py
	$(BIN)/python bench/sender.py
	$(BIN)/python bench/render.py

docker:                       ## the image (needs a Docker engine)
	docker build -t ikiganiro .

docker-check: docker $(STAMP)  ## the image leads a whole session over HTTP (needs a Docker engine)
	IKIGANIRO_TEST_IMAGE=ikiganiro $(BIN)/python -m pytest tests/e2e/test_run_process.py

# uv resolves both locks from pyproject.toml for every platform at once (--universal), so the
# same files serve this machine, CI and the Docker image. Existing pins are kept unless asked:
#   make lock                      add what pyproject.toml gained, move nothing else
#   make lock UPGRADE=babel        move one package (several: UPGRADE="babel httpx")
#   make lock UPGRADE=all          move everything to the newest allowed versions
UV_VERSION := 0.13.9
LOCK_FLAGS  = --quiet --universal --python-version 3.11 --custom-compile-command 'make lock' \
	$(if $(filter all,$(UPGRADE)),--upgrade,$(foreach p,$(UPGRADE),--upgrade-package $(p)))

lock:                         ## pin runtime (requirements.lock) and dev (requirements-dev.lock)
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet uv==$(UV_VERSION)
	.lock-venv/bin/uv pip compile $(LOCK_FLAGS) pyproject.toml -o requirements.lock
	.lock-venv/bin/uv pip compile $(LOCK_FLAGS) --extra dev --constraints requirements.lock \
		pyproject.toml -o requirements-dev.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) build *.egg-info locales/*/LC_MESSAGES/*.mo
