"""The printable charter: every commitment on the page, in any language, on as many pages as it
takes.

The PDF is read back as a person's PDF reader would, with PDFium (``pypdfium2``): what the text
layer holds is what can be read, searched and copied, so a letter the font lacks or a line cut
off at the foot of a page would show here.
"""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest

from bot.charter import charter_pdf
from bot.engine.effects import CharterView
from bot.engine.state import Due, Owner, Progress
from bot.engine.summary import (
    CommitmentLine,
    EarlierLine,
    RoleCounts,
    Statement,
    StatusStep,
    Summary,
)

# French with its accents, Kirundi (its letters are Latin; the apostrophe of n'abana and the
# long words are what wrap), Swahili.
COMMITMENTS = (
    "Afficher le numéro du poste de police au marché cette semaine, près de l'école.",
    "Gutembera ku nzira y'uruzi hamwe rimwe mu kwezi, abanyagihugu n'abapolisi.",
    "Kuweka taa kwenye njia ya mto kabla ya mwisho wa mwezi ujao.",
    "Réunir les jeunes du quartier et les policiers pour un match de football à Kamenge.",
)
VISION = (
    "Des policiers connus par leur nom dans chaque quartier, et des gens qui les appellent tôt.",
    "Abagore bagenda ku nzira y'uruzi ata bwoba, n'abana bakiga neza.",
)


def summary(
    commitments: tuple[str, ...] = COMMITMENTS,
    vision: tuple[str, ...] = VISION,
    bridging: tuple[str, ...] = (),
    progress: tuple[Progress, ...] = (),
) -> Summary:
    """A summary as the engine builds it; ``bridging`` are the statements both sides agreed
    on, ``progress`` the statuses reported for the first commitments."""
    return Summary(
        script_id="community-safety",
        title="Our community's safety",
        final=True,
        participants=RoleCounts(police=3, resident=4),
        balance=(),
        choices=(),
        quotes=(),
        vision=tuple(
            Statement(
                answer_id=f"a{n}",
                stage_id="vision",
                text=t,
                author=None,
                role=None,
                bridging=t in bridging,
            )
            for n, t in enumerate(vision)
        ),
        commitments=tuple(
            CommitmentLine(
                text=text,
                owner=Owner.BOTH if n % 2 else Owner.POLICE,
                due=Due.ONE_MONTH,
                due_date="2025-07-14",
                endorsements=RoleCounts(police=2, resident=2),
                shared=n % 2 == 0,
                complete=n != 3,
                status=progress[n] if n < len(progress) else Progress.OPEN,
                status_date="2025-09-01" if n < len(progress) else None,
            )
            for n, text in enumerate(commitments)
        ),
        withheld=0,
    )


def view(
    place: str | None = None, **options: tuple[str, ...] | tuple[Progress, ...]
) -> CharterView:
    return CharterView(summary=summary(**options), date="2025-06-14", place=place)


def pages(content: bytes) -> list[str]:
    """Each page's text as a reader extracts it, every run of white space made one space."""
    document = pdfium.PdfDocument(content)
    try:
        texts = []
        for page in document:
            text = page.get_textpage().get_text_range()
            texts.append(re.sub(r"\s+", " ", text))
        return texts
    finally:
        document.close()


def text_of(content: bytes) -> str:
    return " ".join(pages(content))


@pytest.mark.parametrize("language", ["fr", "rn", "sw", "en"])
def test_every_commitment_and_the_vision_are_on_the_page(language: str) -> None:
    text = text_of(charter_pdf(view(), (language,)))
    for line in (*COMMITMENTS, *VISION):
        assert line in text, line


def test_the_charter_speaks_french_in_french() -> None:
    text = text_of(charter_pdf(view("Gitega"), ("fr",), group_title="Colline Mutumba"))
    assert "Colline Mutumba" in text
    assert "Nos engagements" in text
    assert "14 juin 2025" in text
    assert "Lieu : Gitega" in text or "Lieu: Gitega" in text
    assert "La sécurité, c'est l'affaire de tous." in text


def test_the_charter_speaks_kirundi_in_kirundi() -> None:
    text = text_of(charter_pdf(view(), ("rn",)))
    assert "Umutekano ni uwa twese." in text
    assert "Imihigo yacu" in text
    assert "Our commitments" not in text


def test_two_languages_side_by_side_hold_both_and_every_commitment_once() -> None:
    text = text_of(charter_pdf(view(), ("rn", "fr")))
    assert "Umutekano ni uwa twese." in text
    assert "La sécurité, c'est l'affaire de tous." in text
    assert "Imihigo yacu" in text and "Nos engagements" in text
    for line in COMMITMENTS:
        assert text.count(line) == 1, line


def test_without_a_chat_title_or_a_place_the_charter_names_a_group_and_leaves_a_line() -> None:
    text = text_of(charter_pdf(view(), ("en",)))
    assert "Our community safety group" in text
    assert "Place: ____" in text


def test_a_charter_with_many_long_commitments_flows_onto_more_pages() -> None:
    many = tuple(
        f"Commitment {n}: " + "walk the river path with the residents " * (n % 4 + 1)
        for n in range(60)
    )
    content = charter_pdf(view(commitments=many, vision=VISION * 10), ("en", "fr"))
    texts = pages(content)
    assert len(texts) > 3
    joined = " ".join(texts)
    for line in many:
        assert line.strip() in joined, line
    assert "Signatures" in texts[-1]  # the signatures close the charter, on its last page
    assert all(f"{n} / {len(texts)}" in texts[n - 1] for n in range(1, len(texts) + 1))


def test_the_same_charter_gives_the_same_bytes() -> None:
    assert charter_pdf(view(), ("fr",)) == charter_pdf(view(), ("fr",))


def test_no_commitments_and_no_vision_still_make_a_charter_that_says_so() -> None:
    text = text_of(charter_pdf(view(commitments=(), vision=()), ("en",)))
    assert "No commitments yet." in text
    assert "The vision is still to be written together." in text


def test_the_vision_is_what_both_sides_agreed_on_when_they_agreed() -> None:
    agreed = VISION[1]
    text = text_of(charter_pdf(view(bridging=(agreed,)), ("fr",)))
    assert agreed in text
    assert VISION[0] not in text  # it divided the group: it is in the summary, not signed


def test_a_status_column_appears_once_a_status_was_reported() -> None:
    at_the_end = text_of(charter_pdf(view(), ("fr",)))
    assert "État" not in at_the_end  # every commitment is open: no column of "open"
    later = text_of(charter_pdf(view(progress=(Progress.DONE, Progress.STUCK)), ("fr",)))
    assert "État" in later
    assert "fait depuis le 1 sept. 2025" in later and "bloqué depuis le 1 sept. 2025" in later
    assert "ouvert" in later  # never reported: open, without a date


def test_a_follow_up_charter_shows_each_earlier_commitment_with_its_history() -> None:
    earlier = EarlierLine(
        text="Patrouiller ensemble le long de la rivière chaque samedi.",
        owner=Owner.BOTH,
        due_date="2025-07-14",
        history=(
            StatusStep(status=Progress.IN_PROGRESS, date="2025-07-02"),
            StatusStep(status=Progress.DONE, date="2025-07-19"),
        ),
    )
    follow_up = view().model_copy(
        update={"summary": summary().model_copy(update={"earlier": (earlier,)})}
    )
    text = text_of(charter_pdf(follow_up, ("fr",)))
    assert "Nos engagements précédents" in text
    assert earlier.text in text
    assert "en cours (2 juil. 2025) → fait (19 juil. 2025)" in text
    assert "Nos engagements précédents" not in text_of(charter_pdf(view(), ("fr",)))
