"""The demo's cast: the group, the people in it and what they say.

A facilitator and four participants — two police officers, two residents, two of whom choose
to read in French with /language — one of whom tells the risky story privately and shares it
with no name. They drive
``ikiganiro demo``, the end-to-end tests and the benchmarks alike (through ``bot.demo.Demo``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.state import Role
from bot.offline.world import World

GROUP_ID = -1001234567890
GROUP_TITLE = "Mutumba hill: safety together"


@dataclass(frozen=True)
class Person:
    """Someone in the group, as Telegram knows them (``language`` is their app's, which the bot
    ignores), and the language they choose with /language before joining, if any."""

    user_id: int
    name: str
    role: Role | None
    language: str = "en"
    chooses: str | None = None


FACILITATOR = Person(100, "Amani", None)
PEOPLE = (
    Person(201, "Jean", Role.POLICE),
    Person(202, "Gloria", Role.POLICE, "fr", chooses="fr"),
    Person(301, "Espérance", Role.RESIDENT),
    Person(302, "Pascal", Role.RESIDENT, "fr", chooses="fr"),
)
# Espérance tells the risky story privately and shares it with no name.
PRIVATE_TELLER = PEOPLE[2]

# What people say, per stage id of the shipped scripts; other stages get a general answer.
ANSWERS: dict[str, tuple[str, ...]] = {
    "story": (
        "Last Sunday the officers on duty greeted everyone by name at the market.",
        "When the youth team and the police played football, nobody was afraid.",
        "Neighbours walked me home after dark when the path had no light.",
        "When parents walk the children to school in groups, the road feels safe.",
    ),
    "introductions": (
        "I am Jean, I have served at the Mutumba post for three years.",
        "Gloria. I joined the community police last year, I grew up near the market.",
        "Espérance, I sell vegetables at the market and have four children.",
        "Pascal, teacher at the primary school, and I coach the youth football team.",
    ),
    "safe_story": (
        "The night of the big storm, neighbours and two officers carried the sick to the "
        "health centre together.",
        "At the football final everyone watched the children together; nobody needed "
        "to be afraid.",
        "When the market committee started closing the stalls together at dusk.",
        "When parents walk the children to school in groups, the road feels safe.",
    ),
    "unsafe_story": (
        "A patrol came too late to a robbery because nobody had our number.",
        "I was afraid to go alone to a land quarrel where people were shouting.",
        "My neighbour's boy was beaten on the path by the river and nobody came. "
        "I do not want my name on this.",
        "Young men without work gather near the bar at night and shout at girls.",
    ),
    "vision": (
        "Officers known by name in every quarter, and people who call them early.",
        "A monthly meeting where residents and police plan together.",
        "Lights on the river path, and women who walk there without fear.",
        "Young people with work, and a football league police and youth play in together.",
    ),
    "contributions": (
        "I can share the post's phone number and answer it at night.",
        "I can come to the market committee every month.",
        "I can tell the women's group what we decide here.",
        "I can organise a match between the youth and the police.",
    ),
    "blocked": (
        "Nobody was in charge of the meeting dates.",
        "Transport to the meetings costs money.",
        "Some people still fear being seen talking to the police.",
        "The rain season.",
    ),
}
GENERAL_ANSWER = "I agree with what was said, and I want to help."
# How the people vote on the statements of the shared vision (voter, statement), by their
# places in PEOPLE and in the order the statements were given; anything else is "agree".
# Gloria, an officer, disagrees with the lights on the river path: one statement divides.
VOTES: dict[tuple[int, int], str] = {(1, 2): "disagree", (3, 1): "unsure"}
# In a crowd, each person votes on the first statements only.
VOTES_PER_PERSON = 10
# A follow-up meeting: what two people say of each earlier commitment, in turn (replies to its
# card), and the status someone of the side that acts reports on it there.
EARLIER_NOTES = (
    (
        "The market committee gave us the board at once.",
        "Before, nobody had the post's number written down.",
    ),
    (
        "The first walk happened and people came out to greet us.",
        "The rain stopped the second walk; we need a fixed day that suits the shifts.",
    ),
)
EARLIER_STATUS = ("done", "in_progress")
COMMITMENTS = (
    ("Put the police post's phone number on the market board this week.", "both", "2w"),
    ("Walk the river path together once a month, residents and police.", "both", "1m"),
)


def demo_world(api: World) -> None:
    """The group and the people of the demo, as the Bot API server knows them."""
    api.add_group(
        GROUP_ID,
        GROUP_TITLE,
        admins=(FACILITATOR.user_id,),
        members=[p.user_id for p in PEOPLE],
    )
    for person in (FACILITATOR, *PEOPLE):
        api.add_user(person.user_id, person.name, language_code=person.language)
