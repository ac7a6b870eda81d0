"""Button data: one codec, 64 bytes at most, and anything malformed is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.callbacks import (
    MAX_CALLBACK_BYTES,
    Action,
    Button,
    StartKind,
    button,
    decode,
    parse_start,
    start_url,
)


def test_every_action_round_trips() -> None:
    samples = {
        Action.CONSENT: ("1",),
        Action.ROLE: ("police",),
        Action.CHOICE: ("dimensions", "gbv"),
        Action.SHARE: ("anonymous",),
        Action.OWNER: ("c12", "both"),
        Action.DUE: ("c12", "1m"),
        Action.ENDORSE: ("c12",),
        Action.QUOTE: ("0",),
        Action.NUDGE: ("safe_story",),
        Action.END: ("1",),
        Action.PROGRESS: ("c12", "in_progress"),
        Action.AGREE: ("a123", "disagree"),
        Action.SESSION_LANGUAGE: ("rn",),
        Action.PLAY: ("a12",),
        Action.KEEP: ("1",),
        Action.PROXY_CARD: ("12",),
        Action.CHOICE_FOR: ("12", "dimensions", "gbv"),
        Action.AGREE_FOR: ("12", "a123", "agree"),
        Action.ENDORSE_FOR: ("12", "c12"),
        Action.REMOVE: ("12", "1"),
    }
    assert {*samples, Action.FORGET, Action.LANGUAGE} == set(Action)
    for action, args in samples.items():
        data = button(action, "3fa9c2d1", *args)
        assert decode(data) == Button(action, "3fa9c2d1", args)
    assert decode(button(Action.FORGET, "-", "1")) == Button(Action.FORGET, "-", ("1",))
    assert decode(button(Action.LANGUAGE, "-", "fr")) == Button(Action.LANGUAGE, "-", ("fr",))
    assert decode("l|3fa9c2d1|fr") is None  # a person's language names no session


def test_the_longest_real_button_fits_in_64_bytes() -> None:
    data = button(Action.CHOICE, "a" * 16, "s" * 20, "o" * 20)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES


def test_data_that_would_not_fit_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        button(Action.CHOICE, "a" * 16, "s" * 40, "o" * 40)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "z|3fa9c2d1|1",  # unknown action
        "k|3fa9c2d1",  # missing argument
        "k|3fa9c2d1|1|2",  # one too many
        "x|3fa9c2d1",  # ending: the answer is missing
        "k|NOT-HEX!|1",  # bad session id
        "f|3fa9c2d1|1",  # forget carries no session
        "k|-|1",  # only forget may omit the session
        "c|3fa9c2d1|../etc|x",  # argument outside the slug alphabet
        "c|3fa9c2d1|a|" + "b" * 70,  # too long
    ],
)
def test_malformed_or_forged_data_is_refused(data: str | None) -> None:
    assert decode(data) is None


@given(st.text(max_size=80))
def test_decoding_never_raises(data: str) -> None:
    result = decode(data)
    assert result is None or result.encode() == data


def test_start_links() -> None:
    url = start_url("ikiganiro_bot", StartKind.ANSWER, "3fa9c2d1")
    assert url == "https://t.me/ikiganiro_bot?start=a_3fa9c2d1"
    link = parse_start("a_3fa9c2d1")
    assert link is not None and (link.kind, link.session_id) == (StartKind.ANSWER, "3fa9c2d1")
    assert parse_start("z_3fa9c2d1") is None
    assert parse_start("a_3fa9c2d1; rm") is None
    assert parse_start(None) is None


def test_no_two_actions_share_a_letter() -> None:
    """Two names on one letter make the second an alias of the first: its buttons would be
    read as the first's (as a vote and the session's language once were)."""
    assert len(Action.__members__) == len(set(Action))
