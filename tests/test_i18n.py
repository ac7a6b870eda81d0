"""Translators and script extraction: a reader always gets words, and translators get them all.

The bot must never fail for want of a catalog, and every string a script shows must reach the
template under exactly the context and text the bot will look it up with; otherwise a translated
prompt silently stays in English.
"""

from __future__ import annotations

import datetime
import io
import textwrap
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo

from bot.dialogues import DIALOGUES_DIR, Library, load_script, parse_script
from bot.engine.script import Script
from bot.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    N_,
    Translator,
    negotiate,
    script_context,
    translator,
)
from bot.i18n.catalog import DOMAIN, KIRUNDI_PLURAL_FORMS, clear_cache
from bot.i18n.extract import extract_dialogue

# --- choosing a language -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("fr-FR", "fr"),
        ("fr_BI", "fr"),
        ("FR", "fr"),
        ("rn", "rn"),
        ("sw-TZ", "sw"),
        ("en-GB", "en"),
        (" en ", "en"),
        ("de", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_negotiate(code: str | None, expected: str) -> None:
    assert negotiate(code) == expected


def test_negotiate_uses_the_given_default() -> None:
    assert negotiate("de", default="fr") == "fr"
    assert negotiate(None, default="rn") == "rn"
    assert negotiate("sw", default="fr") == "sw"


def test_every_language_has_an_endonym() -> None:
    assert DEFAULT_LANGUAGE in LANGUAGES
    assert set(LANGUAGE_NAMES) == set(LANGUAGES)
    assert LANGUAGE_NAMES["rn"] == "Ikirundi"
    assert LANGUAGE_NAMES["fr"] == "Français"


# --- translating ---------------------------------------------------------------------------------


def test_translator_is_shared_per_language() -> None:
    assert translator("fr-FR") is translator("fr")
    assert translator("de") is translator(None)
    assert translator(None).language == DEFAULT_LANGUAGE


@pytest.mark.parametrize("language", LANGUAGES)
def test_source_text_when_nothing_is_translated(language: str) -> None:
    tr = translator(language)
    missing = "A sentence no catalog will ever contain 7f3a"
    assert tr.gettext(missing) == missing
    assert tr.pgettext("ctx", missing) == missing
    assert tr.script_text("nowhere.stage.prompt", missing) == missing
    assert tr.script_text("nowhere.stage.help", "") == ""
    assert tr.ngettext("one thing 7f3a", "{n} things 7f3a", 1) == "one thing 7f3a"
    assert tr.ngettext("one thing 7f3a", "{n} things 7f3a", 0) == "{n} things 7f3a"
    assert tr.npgettext("ctx", "one thing 7f3a", "{n} things 7f3a", 2) == "{n} things 7f3a"


def test_no_catalog_directory_is_not_an_error(tmp_path: Path) -> None:
    tr = Translator.load("fr", tmp_path / "nowhere")
    assert not tr.has_catalog
    assert tr.gettext("Welcome") == "Welcome"


def _write_catalog(directory: Path, language: str, catalog: Catalog) -> None:
    target = directory / language / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / f"{DOMAIN}.mo").open("wb") as out:
        write_mo(out, catalog)


def test_compiled_catalog_is_used_and_gaps_fall_back(tmp_path: Path) -> None:
    catalog = Catalog(locale="fr", domain=DOMAIN)
    # As many plural forms as the installed Babel gives French (2 before Babel 2.19, 3 since):
    # the test is about which catalog answers, not about CLDR's count of French plurals.
    plurals = catalog.num_plurals - 1
    catalog.add("Welcome", "Bienvenue")
    catalog.add("Welcome", "Accueil", context="sample.welcome.title")
    catalog.add(("one person", "{n} people"), ("une personne", *["{n} personnes"] * plurals))
    catalog.add(("one vote", "{n} votes"), ("une voix", *["{n} voix"] * plurals), context="tally")
    _write_catalog(tmp_path, "fr", catalog)

    tr = Translator.load("fr", tmp_path)
    assert tr.has_catalog
    assert tr.gettext("Welcome") == "Bienvenue"
    assert tr.script_text(script_context("sample", "welcome", "title"), "Welcome") == "Accueil"
    assert tr.script_text(script_context("sample", "other", "title"), "Welcome") == "Welcome"
    assert tr.gettext("Not translated") == "Not translated"
    # French counts 0 as singular; the catalog's Plural-Forms decides, not English rules.
    assert tr.ngettext("one person", "{n} people", 0) == "une personne"
    assert tr.ngettext("one person", "{n} people", 2) == "{n} personnes"
    assert tr.npgettext("tally", "one vote", "{n} votes", 3) == "{n} voix"
    assert tr.npgettext("other", "one vote", "{n} votes", 3) == "{n} votes"


def test_kirundi_plural_forms_are_our_documented_choice(tmp_path: Path) -> None:
    catalog = Catalog(locale="rn", domain=DOMAIN)
    assert catalog.plural_forms == KIRUNDI_PLURAL_FORMS  # what `pybabel init -l rn` writes
    catalog.add(("one story", "{n} stories"), ("inkuru imwe", "inkuru {n}"))
    _write_catalog(tmp_path, "rn", catalog)
    tr = Translator.load("rn", tmp_path)
    assert tr.ngettext("one story", "{n} stories", 1) == "inkuru imwe"
    assert tr.ngettext("one story", "{n} stories", 0) == "inkuru {n}"


def test_broken_catalog_shows_source_text(tmp_path: Path) -> None:
    target = tmp_path / "sw" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / f"{DOMAIN}.mo").write_bytes(b"this is not a catalog")
    tr = Translator.load("sw", tmp_path)
    assert not tr.has_catalog
    assert tr.gettext("Welcome") == "Welcome"


def test_clear_cache_reloads() -> None:
    before = translator("sw")
    clear_cache()
    assert translator("sw") is not before


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Mar 7, 2026"), ("fr", "7 mars 2026"), ("rn", "7 Wer. 2026"), ("sw", "7 Mac 2026")],
)
def test_format_date(language: str, expected: str) -> None:
    assert translator(language).format_date(datetime.date(2026, 3, 7)) == expected


def test_n_marks_without_translating() -> None:
    assert N_("Safety is everybody's business") == "Safety is everybody's business"


# --- contexts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("community-safety", None, "title"), "community-safety.title"),
        (("community-safety", None, "description"), "community-safety.description"),
        (("community-safety", "safe_story", "prompt"), "community-safety.safe_story.prompt"),
        (("follow-up", "blocked", "help"), "follow-up.blocked.help"),
        (
            ("community-safety", "dimensions", "label", "gbv"),
            "community-safety.dimensions.option.gbv",
        ),
    ],
)
def test_script_context(
    args: tuple[str, str | None, str] | tuple[str, str, str, str], expected: str
) -> None:
    assert script_context(*args) == expected


def test_option_context_needs_a_stage() -> None:
    with pytest.raises(ValueError, match="belongs to a stage"):
        script_context("community-safety", None, "label", "gbv")


# --- extraction ----------------------------------------------------------------------------------

SAMPLE = textwrap.dedent(
    """\
    id: sample
    schema_version: 1
    title: Sample
    description: >-
      Two lines folded
      into one.
    stages:
      - id: story
        kind: text
        title: A story
        prompt: |-
          Tell us a story.
          Keep it short.
        help: "  Padded help.  "
      - id: pick
        kind: choice
        title: Pick one
        prompt: Which one?
        help: ""
        options:
          - {id: a, label: First}
          - id: b
            label: Second
    """
)

SAMPLE_EXPECTED = [
    (3, "sample.title", "Sample"),
    (4, "sample.description", "Two lines folded into one."),
    (10, "sample.story.title", "A story"),
    (11, "sample.story.prompt", "Tell us a story.\nKeep it short."),
    (14, "sample.story.help", "Padded help."),
    (17, "sample.pick.title", "Pick one"),
    (18, "sample.pick.prompt", "Which one?"),
    (21, "sample.pick.option.a", "First"),
    (23, "sample.pick.option.b", "Second"),
]


def _extract(text: str) -> list[tuple[int, str, tuple[str, str], list[str]]]:
    fileobj = io.BytesIO(text.encode("utf-8"))
    return list(extract_dialogue(fileobj, DEFAULT_KEYWORDS, ["TRANSLATORS:"], {}))


def test_extractor_yields_each_string_with_context_and_line() -> None:
    found = _extract(SAMPLE)
    assert [(line, ctx, text) for line, _, (ctx, text), _ in found] == SAMPLE_EXPECTED
    assert {funcname for _, funcname, _, _ in found} == {"pgettext"}


def test_extractor_comments_name_the_stage_kind_and_limit() -> None:
    comments = {ctx: comment for _, _, (ctx, _), comment in _extract(SAMPLE)}
    assert comments["sample.story.prompt"] == [
        "Stage 'story' (text stage): question or text people read. At most 1500 characters."
    ]
    assert "(choice stage)" in comments["sample.pick.option.a"][0]
    assert "At most 60 characters" in comments["sample.pick.option.a"][0]
    assert comments["sample.title"][0].startswith("Script 'sample': title.")


def test_extracted_text_is_what_the_bot_looks_up() -> None:
    """The msgid must equal the validated model's text, stripping and folding included."""
    script = parse_script(SAMPLE, "sample.yaml")
    extracted = {ctx: text for _, _, (ctx, text), _ in _extract(SAMPLE)}
    assert extracted == dict(_runtime_strings(script))


def test_extractor_needs_the_pgettext_keyword() -> None:
    with pytest.raises(ValueError, match="pgettext"):
        list(extract_dialogue(io.BytesIO(SAMPLE.encode()), {"_": None}, [], {}))


def test_babel_finds_the_extractor_by_its_entry_point_name() -> None:
    fileobj = io.BytesIO(SAMPLE.encode("utf-8"))
    messages = list(extract("ikiganiro_dialogue", fileobj, comment_tags=("TRANSLATORS:",)))
    assert [(line, context, message) for line, message, _, context in messages] == (
        SAMPLE_EXPECTED
    )


def _runtime_strings(script: Script) -> list[tuple[str, str]]:
    """Every (context, text) pair the bot can ask a translator for while running ``script``."""
    pairs = [
        (script_context(script.id, None, "title"), script.title),
        (script_context(script.id, None, "description"), script.description),
    ]
    for stage in script.stages:
        for field in ("title", "prompt", "help"):
            text = getattr(stage, field)
            if text:
                pairs.append((script_context(script.id, stage.id, field), text))
        pairs += [
            (script_context(script.id, stage.id, "label", option.id), option.label)
            for option in stage.options
        ]
    return pairs


@pytest.mark.parametrize("path", sorted(DIALOGUES_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_script_string_is_extracted(path: Path) -> None:
    script = load_script(path)
    expected = _runtime_strings(script)
    with path.open("rb") as fileobj:
        found = list(extract_dialogue(fileobj, DEFAULT_KEYWORDS, [], {}))
    assert len(found) == len(expected)
    assert [pair for _, _, pair, _ in found] == expected
    lines = path.read_text(encoding="utf-8").splitlines()
    for line, _, (context, _), _ in found:
        field = "label" if ".option." in context else context.rsplit(".", 1)[1]
        assert f"{field}:" in lines[line - 1], (context, line)


def test_shipped_contexts_are_unique() -> None:
    library = Library.load()
    contexts = [ctx for sid in library.ids() for ctx, _ in _runtime_strings(library[sid])]
    assert len(contexts) == len(set(contexts))


def test_babel_cfg_sends_every_script_through_the_extractor() -> None:
    """What `make i18n-extract` sees: babel.cfg's mapping over the repository's dialogues."""
    root = DIALOGUES_DIR.parent
    with (root / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    dialogue_methods = [(pattern, m) for pattern, m in method_map if pattern.startswith("dial")]
    assert dialogue_methods == [("dialogues/*.yaml", "ikiganiro_dialogue")]
    counts: dict[str, int] = {}
    for filename, _, _, _, context in extract_from_dir(
        root, dialogue_methods, options_map, keywords=DEFAULT_KEYWORDS
    ):
        assert context is not None
        counts[filename] = counts.get(filename, 0) + 1
    library = Library.load()
    assert counts == {
        f"dialogues/{sid}.yaml": len(_runtime_strings(library[sid])) for sid in library.ids()
    }
