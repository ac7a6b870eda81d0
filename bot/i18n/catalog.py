"""Per-language translators for a bot whose readers share one chat but not one language.

There is no global ``_``: handlers run concurrently for people who read Kirundi, French, English
or Swahili, so each message is rendered through the ``Translator`` of its reader (or of the
group). A missing catalog or message is never an error: the English source text is shown, so a
half-translated deployment still works and a new language can ship one catalog at a time.
"""

from __future__ import annotations

import datetime
import io
import logging
import struct
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.lists import format_list as _babel_format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent.parent / "locales"
DOMAIN = "ikiganiro"

LANGUAGES: tuple[str, ...] = ("en", "fr", "rn", "sw")
DEFAULT_LANGUAGE = "en"
# Each language is offered in its own name, so people find theirs without reading another.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "rn": "Ikirundi",
    "sw": "Kiswahili",
}

# The order languages are offered in: the participants' first language first.
OFFERED_LANGUAGES: tuple[str, ...] = ("rn", "fr", "sw", "en")

# CLDR defines no plural rules for Kirundi, so its Plural-Forms header is our own choice rather
# than locale data. It is the header ``pybabel init -l rn`` writes anyway; a Kirundi speaker
# should confirm it, and noun-class agreement may call for whole-sentence variants instead.
KIRUNDI_PLURAL_FORMS = "nplurals=2; plural=(n != 1);"


def negotiate(code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The supported language closest to a tag such as Telegram's ``language_code``.

    Only the primary subtag counts: the catalogs are per language, not per country, and Telegram
    sends "fr", "fr-FR" or nothing at all depending on the client.
    """
    if not code:
        return default
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else default


def script_context(
    script_id: str, stage_id: str | None, field: str, option_id: str | None = None
) -> str:
    """The gettext context of one script string.

    The same English words ("Other", "Welcome") can need different translations in different
    places, and a translator needs to see where a string sits; the context says both. Script ids
    use hyphens and stage and option ids underscores, so the dots cannot be ambiguous.
    """
    if option_id is not None:
        if stage_id is None:
            raise ValueError("an option always belongs to a stage")
        return f"{script_id}.{stage_id}.option.{option_id}"
    if stage_id is None:
        return f"{script_id}.{field}"
    return f"{script_id}.{stage_id}.{field}"


def N_(message: str) -> str:
    """Mark a string for extraction where it is defined and translate it where it is shown."""
    return message


def _from_po(directory: Path, language: str) -> Translations | None:
    """The catalog straight from its ``.po`` when no up-to-date ``.mo`` sits beside it.

    A fresh clone, or a translator's edit not yet compiled, then still shows the translation;
    ``make`` and the Docker build compile ``.mo`` files, which are used when current.
    """
    folder = directory / language / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if not po.exists() or (mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime):
        return None
    with po.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=True)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


class Translator:
    """One language's messages, with the source text wherever no translation exists."""

    __slots__ = ("_locale", "_translations", "language")

    def __init__(self, language: str, translations: NullTranslations) -> None:
        self.language = language
        self._translations = translations
        self._locale: Locale | None = None

    @classmethod
    def load(cls, language: str, directory: Path = LOCALES_DIR) -> Translator:
        """Read ``<directory>/<language>/LC_MESSAGES/ikiganiro.mo`` if it exists and is sound.

        A broken catalog is logged and skipped rather than raised: people would rather read
        English than see the bot stop answering.
        """
        translations: NullTranslations
        try:
            translations = _from_po(directory, language) or Translations.load(
                str(directory), [language], DOMAIN
            )
        except (OSError, ValueError, struct.error) as exc:
            log.warning("catalog for %r unreadable, showing source text: %s", language, exc)
            translations = NullTranslations()
        return cls(language, translations)

    @property
    def has_catalog(self) -> bool:
        return type(self._translations) is not NullTranslations

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        text = self._translations.pgettext(context, message)  # typed ``str | object`` by Babel
        return text if isinstance(text, str) else message

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self._translations.npgettext(context, singular, plural, n)

    def script_text(self, context: str, source: str) -> str:
        """A script string (title, prompt, help, option label) in this language.

        ``context`` comes from ``script_context`` so that it matches what
        ``bot.i18n.extract`` wrote into the template.
        """
        return self.pgettext(context, source)

    @property
    def locale(self) -> Locale:
        """Babel's locale, parsed once: Babel parses a tag again at every call, and a crowded
        session's summary formats a list or a date on nearly every line."""
        if self._locale is None:
            self._locale = Locale.parse(self.language)
        return self._locale

    def format_date(self, value: datetime.date) -> str:
        """A date as readers of this language write it (e.g. due dates of commitments)."""
        return _babel_format_date(value, "medium", locale=self.locale)

    def format_list(self, items: list[str]) -> str:
        """Items joined the way this language joins a list (CLDR: "a, b and c", "a, b na c")."""
        return str(_babel_format_list(items, locale=self.locale))

    def __repr__(self) -> str:
        return f"Translator({self.language!r}, catalog={self.has_catalog})"


def translator(language: str | None) -> Translator:
    """The shared translator for a language tag; unsupported tags get the default language."""
    return _cached(negotiate(language))


@lru_cache(maxsize=len(LANGUAGES))
def _cached(language: str) -> Translator:
    return Translator.load(language)


def clear_cache() -> None:
    """Forget loaded catalogs, so catalogs compiled while the process runs are read again."""
    _cached.cache_clear()
