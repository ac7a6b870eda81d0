# Ikiganiro: the bot, long polling, with its database on a volume.
FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    IKIGANIRO_DB=/data/ikiganiro.db

WORKDIR /app

# Installed in place (editable), so the package finds dialogues/ and locales/ beside it.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY dialogues ./dialogues
COPY locales ./locales
RUN pip install --editable . \
 && pybabel compile --use-fuzzy -D ikiganiro -d locales \
 && useradd --system --uid 10001 --home /app ikiganiro \
 && mkdir -p /data && chown ikiganiro /data

USER ikiganiro
VOLUME ["/data"]

# The token and IKIGANIRO_DATA_KEY come from the environment at run time, never from the image.
CMD ["ikiganiro", "run"]
