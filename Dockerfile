# Ikiganiro: the bot, long polling, with its database on a volume.
FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    IKIGANIRO_DB=/data/ikiganiro.db

WORKDIR /app

# Pinned dependencies first, in their own layer: a code change does not reinstall them.
COPY requirements.lock ./
RUN pip install --requirement requirements.lock

# Installed in place (editable), so the package finds dialogues/ and locales/ beside it.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY dialogues ./dialogues
COPY locales ./locales
RUN pip install --no-deps --editable . \
 && pybabel compile --use-fuzzy -D ikiganiro -d locales \
 && groupadd --system --gid 10001 ikiganiro \
 && useradd --system --no-log-init --uid 10001 --gid 10001 --home-dir /app ikiganiro \
 && mkdir -p /data && chown ikiganiro:ikiganiro /data

USER ikiganiro
VOLUME ["/data"]

# The token and IKIGANIRO_DATA_KEY come from the environment at run time, never from the image.
# SIGTERM (docker stop) ends the long poll at once; the database is consistent at any instant.
CMD ["ikiganiro", "run"]
