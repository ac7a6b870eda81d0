"""Languages for a shared chat: per-reader translators, and extraction of the scripts' text.

Telegram gives no i18n layer, and one group holds readers of several languages, so translation
is an explicit ``Translator`` per reader or per chat rather than a process-wide ``_``.
"""

from bot.i18n.catalog import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    LOCALES_DIR,
    N_,
    Translator,
    negotiate,
    script_context,
    translator,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LOCALES_DIR",
    "N_",
    "Translator",
    "negotiate",
    "script_context",
    "translator",
]
