"""The shipped scripts, and every rule a script can break, as its author will read it.

Facilitators fix scripts from ``ikiganiro check`` output alone, so each rule is tested through
the one line they see: ``file:line: stage 'x': field 'y': message``, pointing at the line to
change.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from bot.dialogues import (
    DEFAULT_SCRIPT,
    DIALOGUES_DIR,
    Library,
    Problem,
    ScriptError,
    check,
    parse_script,
)
from bot.engine.script import Channel, StageKind

NAME = "dialogues/sample.yaml"

HEADER = """\
id: sample
schema_version: 1
title: Sample
description: A script for tests.
stages:
  - id: intro
    kind: info
    title: Intro
    prompt: Hello.
"""


def _script(stages: str = "") -> str:
    """A valid script with ``stages`` (YAML list items) appended under its ``stages:``."""
    body = textwrap.indent(textwrap.dedent(stages).strip("\n"), "  ")
    return f"{HEADER}{body}\n" if body else HEADER


def _line_of(text: str, needle: str, after: int = 0) -> int:
    """The line of the first line below line ``after`` containing ``needle``.

    A trailing ``#n`` picks the n-th such line instead.
    """
    needle, _, nth = needle.partition("#")
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if i > after and needle in line]
    return hits[int(nth or 1) - 1]


def _problems(text: str, name: str = NAME) -> list[Problem]:
    with pytest.raises(ScriptError) as caught:
        parse_script(text, name)
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return caught.value.problems


def _only(text: str, name: str = NAME) -> str:
    problems = _problems(text, name)
    assert len(problems) == 1, problems
    rendered = str(problems[0])
    assert "\n" not in rendered
    return rendered


# --- the scripts we ship -------------------------------------------------------------------------


def test_shipped_scripts_check_clean() -> None:
    assert check([DIALOGUES_DIR]) == []


def test_library_loads_the_default_and_follow_up() -> None:
    library = Library.load()
    assert {DEFAULT_SCRIPT, "follow-up", "quick-demo"} <= set(library.ids())
    assert library.get("no-such-script") is None


@pytest.mark.parametrize("script_id", ["community-safety", "follow-up"])
def test_shipped_script_follows_the_method(script_id: str) -> None:
    script = Library.load()[script_id]
    kinds = [s.kind for s in script.stages]
    assert kinds[0] is StageKind.INFO
    assert kinds[-1] is StageKind.INFO
    assert "everybody's business" in script.stages[-1].prompt.lower()
    assert kinds.count(StageKind.REVIEW) == 1
    assert kinds.index(StageKind.COMMITMENT) < kinds.index(StageKind.REVIEW)
    for stage in script.stages:
        if stage.kind is StageKind.TEXT:
            assert stage.nudge_after_minutes, stage.id
            assert stage.max_length <= 1000, stage.id


@pytest.mark.parametrize("path", sorted(DIALOGUES_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_no_script_promises_its_own_retention_period(path: Path) -> None:
    """How long answers are kept is a setting; the bot's own texts state it from there.

    A number written into a script would go on telling people "90 days" after an operator
    changed IKIGANIRO_RETENTION_DAYS: a promise about their data that is no longer true.
    """
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        assert not re.search(r"\b\d+\s*(days?|weeks?|months?)\b", line, re.I), (number, line)


def test_community_safety_stages() -> None:
    script = Library.load()[DEFAULT_SCRIPT]
    ground_rules = script.stages[1].prompt
    assert "consent" in ground_rules
    unsafe = script.stage("unsafe_story")
    assert unsafe is not None
    assert unsafe.quote_with_consent
    assert unsafe.channels == {Channel.GROUP, Channel.PRIVATE, Channel.ANONYMOUS}
    dimensions = script.stage("dimensions")
    assert dimensions is not None
    assert dimensions.kind is StageKind.MULTI_CHOICE
    vision = script.stage("vision")
    assert vision is not None and vision.agree  # its statements are voted on
    introductions = script.stage("introductions")
    assert introductions is not None and not introductions.in_take_home
    assert dimensions.max_choices == 3
    assert len(dimensions.options) == 8
    commitments = script.stage("commitments")
    assert commitments is not None
    assert "reply" in commitments.prompt.lower()


# --- one test per rule -------------------------------------------------------------------------
#
# Each case: the stages to append to a valid script, the text that marks the line the problem
# must point at, the stage and field it must name, and a fragment of its message.

STAGE_RULES = [
    pytest.param(
        """
        - id: story
          kind: text
          title: Story
          prompt: Tell us.
          hlep: Take your time.
        """,
        "hlep:",
        "story",
        "hlep",
        "unknown field (check its spelling)",
        id="misspelled-field",
    ),
    pytest.param(
        """
        - id: story
          kind: text
          title: Story
        """,
        "- id: story",
        "story",
        "prompt",
        "required field is missing",
        id="missing-field",
    ),
    pytest.param(
        """
        - id: story
          kind: essay
          title: Story
          prompt: Tell us.
        """,
        "kind: essay",
        "story",
        "kind",
        "'text'",
        id="unknown-kind",
    ),
    pytest.param(
        """
        - id: Story-1
          kind: text
          title: Story
          prompt: Tell us.
        """,
        "id: Story-1",
        "Story-1",
        "id",
        "pattern",
        id="bad-stage-slug",
    ),
    pytest.param(
        """
        - id: a_stage_id_that_is_far_too_long
          kind: text
          title: Story
          prompt: Tell us.
        """,
        "id: a_stage",
        "a_stage_id_that_is_far_too_long",
        "id",
        "at most 20 characters",
        id="stage-id-too-long",
    ),
    pytest.param(
        f"""
        - id: story
          kind: text
          title: {"T" * 81}
          prompt: Tell us.
        """,
        "title: TTT",
        "story",
        "title",
        "at most 80 characters",
        id="title-too-long",
    ),
    pytest.param(
        f"""
        - id: story
          kind: text
          title: Story
          prompt: {"word " * 301}
        """,
        "prompt: word",
        "story",
        "prompt",
        "at most 1500 characters",
        id="prompt-too-long",
    ),
    pytest.param(
        """
        - id: story
          kind: text
          title: Story
          prompt: "   "
        """,
        "prompt:",
        "story",
        "prompt",
        "at least 1 character",
        id="prompt-blank",
    ),
    pytest.param(
        f"""
        - id: story
          kind: text
          title: Story
          prompt: Tell us.
          help: {"h" * 601}
        """,
        "help: hhh",
        "story",
        "help",
        "at most 600 characters",
        id="help-too-long",
    ),
    pytest.param(
        """
        - id: pick
          kind: choice
          title: Pick
          prompt: Choose.
        """,
        "- id: pick",
        "pick",
        "options",
        "at least two options",
        id="choice-without-options",
    ),
    pytest.param(
        """
        - id: pick
          kind: multi_choice
          title: Pick
          prompt: Choose.
          options:
            - {id: only, label: Only one}
        """,
        "options:",
        "pick",
        "options",
        "at least two options",
        id="choice-with-one-option",
    ),
    pytest.param(
        """
        - id: story
          kind: text
          title: Story
          prompt: Tell us.
          options:
            - {id: a, label: A}
            - {id: b, label: B}
        """,
        "options:",
        "story",
        "options",
        "takes no options",
        id="options-on-non-choice",
    ),
    pytest.param(
        """
        - id: pick
          kind: choice
          title: Pick
          prompt: Choose.
          options:
            - {id: same, label: A}
            - {id: same, label: B}
        """,
        "options:",
        "pick",
        "options",
        "option id 'same' appears twice",
        id="duplicate-option-ids",
    ),
    pytest.param(
        """
        - id: pick
          kind: choice
          title: Pick
          prompt: Choose.
          options:
            - {id: Bad-Option, label: A}
            - {id: b, label: B}
        """,
        "Bad-Option",
        "pick",
        "options.0.id",
        "pattern",
        id="bad-option-slug",
    ),
    pytest.param(
        f"""
        - id: pick
          kind: choice
          title: Pick
          prompt: Choose.
          options:
            - {{id: a, label: A}}
            - {{id: b, label: {"L" * 61}}}
        """,
        "id: b",
        "pick",
        "options.1.label",
        "at most 60 characters",
        id="option-label-too-long",
    ),
    pytest.param(
        """
        - id: pick
          kind: choice
          title: Pick
          prompt: Choose.
          options:
            - {id: a, label: A}
            - {id: b}
        """,
        "id: b",
        "pick",
        "options.1.label",
        "required field is missing",
        id="option-label-missing",
    ),
    pytest.param(
        """
        - id: pick
          kind: choice
          title: Pick
          prompt: Choose.
          max_choices: 2
          options:
            - {id: a, label: A}
            - {id: b, label: B}
        """,
        "max_choices:",
        "pick",
        "max_choices",
        "only a multi_choice stage",
        id="max-choices-on-single-choice",
    ),
    pytest.param(
        """
        - id: pick
          kind: multi_choice
          title: Pick
          prompt: Choose.
          max_choices: 3
          options:
            - {id: a, label: A}
            - {id: b, label: B}
        """,
        "max_choices:",
        "pick",
        "max_choices",
        "larger than the number of options",
        id="max-choices-above-options",
    ),
    pytest.param(
        """
        - id: pick
          kind: multi_choice
          title: Pick
          prompt: Choose.
          max_choices: 0
          options:
            - {id: a, label: A}
            - {id: b, label: B}
        """,
        "max_choices:",
        "pick",
        "max_choices",
        "greater than or equal to 1",
        id="max-choices-zero",
    ),
    pytest.param(
        """
        - id: story
          kind: text
          title: Story
          prompt: Tell us.
          min_length: 50
          max_length: 20
        """,
        "min_length:",
        "story",
        "min_length",
        "larger than max_length",
        id="min-above-max-length",
    ),
    pytest.param(
        """
        - id: story
          kind: text
          title: Story
          prompt: Tell us.
          max_length: 5000
        """,
        "max_length:",
        "story",
        "max_length",
        "less than or equal to 3000",
        id="max-length-out-of-range",
    ),
    pytest.param(
        """
        - id: note
          kind: info
          title: Note
          prompt: Read this.
          answer_in: [group]
        """,
        "answer_in:",
        "note",
        "answer_in",
        "takes no answers",
        id="answer-in-on-info",
    ),
    pytest.param(
        """
        - id: story
          kind: text
          title: Story
          prompt: Tell us.
          answer_in: []
        """,
        "answer_in:",
        "story",
        "answer_in",
        "at least one place",
        id="answer-in-empty",
    ),
    pytest.param(
        """
        - id: plan
          kind: commitment
          title: Plan
          prompt: Propose.
          answer_in: [group, anonymous]
        """,
        "answer_in:",
        "plan",
        "answer_in",
        "answered in the group only",
        id="answer-in-private-on-commitment",
    ),
    pytest.param(
        """
        - id: story
          kind: text
          title: Story
          prompt: Tell us.
          answer_in: [group, whisper]
        """,
        "answer_in:",
        "story",
        "answer_in.1",
        "'anonymous'",
        id="answer-in-unknown-channel",
    ),
    pytest.param(
        """
        - id: note
          kind: info
          title: Note
          prompt: Read this.
          nudge_after_minutes: 10
        """,
        "nudge_after_minutes:",
        "note",
        "nudge_after_minutes",
        "nobody to nudge",
        id="nudge-on-info",
    ),
    pytest.param(
        """
        - id: story
          kind: text
          title: Story
          prompt: Tell us.
          nudge_after_minutes: 0
        """,
        "nudge_after_minutes:",
        "story",
        "nudge_after_minutes",
        "greater than or equal to 1",
        id="nudge-zero",
    ),
    pytest.param(
        """
        - id: story
          kind: text
          title: Story
          prompt: Tell us.
          timebox_minutes: 20000
        """,
        "timebox_minutes:",
        "story",
        "timebox_minutes",
        "less than or equal to 10080",
        id="timebox-over-a-week",
    ),
    pytest.param(
        """
        - id: pick
          kind: choice
          title: Pick
          prompt: Choose.
          quote_with_consent: true
          options:
            - {id: a, label: A}
            - {id: b, label: B}
        """,
        "quote_with_consent:",
        "pick",
        "quote_with_consent",
        "only text stages",
        id="quote-with-consent-on-choice",
    ),
    pytest.param(
        """
        - id: pick
          kind: choice
          title: Pick
          prompt: Choose.
          agree: true
          options:
            - {id: a, label: A}
            - {id: b, label: B}
        """,
        "agree:",
        "pick",
        "agree",
        "only the answers of a text stage",
        id="agree-on-choice",
    ),
    pytest.param(
        """
        - id: dream
          kind: text
          title: Dream
          prompt: Picture it.
          agree: true
          in_summary: false
        """,
        "agree:",
        "dream",
        "agree",
        "left out of the summary",
        id="agree-left-out-of-the-summary",
    ),
    pytest.param(
        """
        - id: intro
          kind: text
          title: Again
          prompt: Tell us.
        """,
        "- id: intro",
        "intro",
        "id",
        "appears twice",
        id="duplicate-stage-id",
    ),
    pytest.param(
        """
        - id: review
          kind: review
          title: Review
          prompt: Read the summary.
        - id: again
          kind: review
          title: Review again
          prompt: Read it again.
        """,
        "kind: review#2",
        "again",
        "kind",
        "at most one review stage",
        id="two-review-stages",
    ),
    pytest.param(
        """
        - id: each
          kind: earlier_commitments
          title: Each
          prompt: Look back.
        - id: again
          kind: earlier_commitments
          title: Again
          prompt: Look back again.
        """,
        "kind: earlier_commitments#2",
        "again",
        "kind",
        "at most one earlier_commitments stage",
        id="two-earlier-commitments-stages",
    ),
    pytest.param(
        """
        - id: each
          kind: earlier_commitments
          title: Each
          prompt: Look back.
          answer_in: [group, anonymous]
          options:
            - {id: a, label: A}
            - {id: b, label: B}
        """,
        "options:",
        "each",
        "options",
        "takes no options",
        id="earlier-commitments-takes-no-options",
    ),
    pytest.param(
        """
        - id: story
          kind: text
          title: Story
          prompt: Tell us.
          prompt: Tell us again.
        """,
        "prompt: Tell us again.",
        "story",
        "prompt",
        "given twice",
        id="duplicate-yaml-key-in-stage",
    ),
]


@pytest.mark.parametrize(("stages", "needle", "stage", "field", "message"), STAGE_RULES)
def test_stage_rule(stages: str, needle: str, stage: str, field: str, message: str) -> None:
    text = _script(stages)
    line = _line_of(text, needle, after=HEADER.count("\n"))
    problem = _only(text)
    assert problem.startswith(f"{NAME}:{line}: stage '{stage}': field '{field}': "), problem
    assert message in problem


SCRIPT_RULES = [
    pytest.param(
        HEADER.replace("title: Sample", "title: Sample\nlanguge: fr"),
        "languge:",
        "languge",
        "unknown field (check its spelling)",
        id="misspelled-script-field",
    ),
    pytest.param(
        HEADER.replace("description: A script for tests.\n", ""),
        "id: sample",
        "description",
        "required field is missing",
        id="missing-description",
    ),
    pytest.param(
        HEADER.replace("schema_version: 1", "schema_version: 2"),
        "schema_version:",
        "schema_version",
        "unsupported schema version",
        id="wrong-schema-version",
    ),
    pytest.param(
        HEADER.replace("id: sample", "id: Sample_Script"),
        "id: Sample_Script",
        "id",
        "pattern",
        id="bad-script-slug",
    ),
    pytest.param(
        HEADER.replace("title: Sample", "title: Sample\nlanguage: French"),
        "language:",
        "language",
        "pattern",
        id="bad-language-code",
    ),
    pytest.param(
        HEADER.split("stages:", maxsplit=1)[0],
        "id: sample",
        "stages",
        "required field is missing",
        id="stages-missing",
    ),
    pytest.param(
        HEADER.split("stages:", maxsplit=1)[0] + "stages: []\n",
        "stages:",
        "stages",
        "a script needs at least one stage",
        id="stages-empty",
    ),
    pytest.param(
        HEADER.replace("title: Sample", "title: Sample\ntitle: Sample again"),
        "title: Sample again",
        "title",
        "given twice",
        id="duplicate-yaml-key-at-top",
    ),
    pytest.param(
        HEADER.replace("id: sample", "id: another"),
        "id: another",
        "id",
        "must match the file name 'sample'",
        id="id-not-matching-file-name",
    ),
]


@pytest.mark.parametrize(("text", "needle", "field", "message"), SCRIPT_RULES)
def test_script_rule(text: str, needle: str, field: str, message: str) -> None:
    line = _line_of(text, needle)
    problem = _only(text)
    assert problem.startswith(f"{NAME}:{line}: script: field '{field}': "), problem
    assert message in problem


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param(
            HEADER + "  - id: broken\n    kind: [text\n", 12, "not valid YAML", id="syntax"
        ),
        pytest.param(
            HEADER.replace("title: Sample", "title: Sample: again"),
            3,
            "not valid YAML",
            id="colon-in-plain-scalar",
        ),
        pytest.param("", 1, "a script is a mapping", id="empty-file"),
        pytest.param("# only a comment\n", 1, "a script is a mapping", id="comment-only"),
        pytest.param("- id: sample\n", 1, "a script is a mapping", id="list-at-top"),
    ],
)
def test_file_level_rule(text: str, line: int, message: str) -> None:
    problem = _only(text)
    assert problem.startswith(f"{NAME}:{line}: script: field '"), problem
    assert message in problem


def test_duplicate_stage_id_names_the_stage_and_field() -> None:
    text = _script(
        """
        - id: intro
          kind: text
          title: Again
          prompt: Tell us.
        """
    )
    assert _only(text).endswith(": stage 'intro': field 'id': this stage id appears twice")


def test_missing_script_field_names_the_field() -> None:
    problem = _only(HEADER.replace("description: A script for tests.\n", ""))
    assert problem.startswith(f"{NAME}")
    assert problem.endswith(": script: field 'description': required field is missing")


@pytest.mark.parametrize(
    ("text", "needle", "stage", "misspelled", "missing"),
    [
        pytest.param(
            _script(
                """
                - id: story
                  kind: text
                  title: Story
                  promt: Tell us.
                """
            ),
            "promt:",
            "story",
            "promt",
            "prompt",
            id="stage",
        ),
        pytest.param(
            HEADER.replace("title: Sample", "titel: Sample"),
            "titel:",
            None,
            "titel",
            "title",
            id="script",
        ),
    ],
)
def test_misspelled_required_field(
    text: str, needle: str, stage: str | None, misspelled: str, missing: str
) -> None:
    """One mistake, one problem: the unknown spelling, suggesting the missing field it meant."""
    scope = f"stage '{stage}'" if stage else "script"
    assert _only(text) == (
        f"{NAME}:{_line_of(text, needle)}: {scope}: field '{misspelled}': "
        f"unknown field '{misspelled}'; did you mean '{missing}'?"
    )


def test_misspelled_optional_field_is_only_unknown() -> None:
    """No suggestion without a missing field to suggest: ``hlep`` may be extra text, not help."""
    text = _script(
        """
        - id: story
          kind: text
          title: Story
          prompt: Tell us.
          hlep: Take your time.
        """
    )
    assert _only(text).endswith(": field 'hlep': unknown field (check its spelling)")


def test_unrelated_unknown_field_does_not_hide_a_missing_one() -> None:
    text = _script(
        """
        - id: story
          kind: text
          title: Story
          colour: blue
        """
    )
    assert {(p.field, p.message) for p in _problems(text)} == {
        ("colour", "unknown field (check its spelling)"),
        ("prompt", "required field is missing"),
    }


def test_every_problem_is_reported_at_once() -> None:
    text = _script(
        """
        - id: story
          kind: text
          title: Story
          promt: Tell us.
        - id: note
          kind: info
          title: Note
          prompt: Read this.
          nudge_after_minutes: 10
        """
    )
    fields = {(p.stage, p.field) for p in _problems(text)}
    assert fields == {("story", "promt"), ("note", "nudge_after_minutes")}


def test_problems_are_in_line_order() -> None:
    """Repeated YAML keys are found before validation, yet come out in file order with the rest."""
    text = _script(
        """
        - id: story
          kind: text
          title: Story
          prompt: Tell us.
          prompt: Tell us again.
        """
    ).replace("title: Sample", "title: Sample\nlanguge: fr")
    problems = _problems(text)
    assert [(p.line, p.field) for p in problems] == [
        (_line_of(text, "languge:"), "languge"),
        (_line_of(text, "prompt: Tell us again."), "prompt"),
    ]


@pytest.mark.parametrize("word", ["Yes", "No", "yes", "no", "On", "Off", "on", "off", "Y", "n"])
def test_yaml_1_1_booleans_are_plain_words(word: str) -> None:
    """Only true/false are booleans: an option labelled ``Yes`` needs no quotes."""
    text = _script(
        f"""
        - id: agree
          kind: choice
          title: Agree?
          prompt: Do you agree?
          options:
            - {{id: agree_yes, label: {word}}}
            - {{id: agree_no, label: Not sure}}
        """
    )
    stage = parse_script(text, NAME).stage("agree")
    assert stage is not None
    assert stage.options[0].label == word


@pytest.mark.parametrize(("word", "value"), [("true", True), ("False", False), ("TRUE", True)])
def test_true_and_false_are_still_booleans(word: str, value: bool) -> None:
    script = parse_script(HEADER + f"    in_summary: {word}\n", NAME)
    assert script.stages[0].in_summary is value


def test_a_broken_only_stage_is_not_also_reported_as_no_stages() -> None:
    problems = _problems(HEADER.replace("prompt: Hello.", "promt: Hello."))
    assert "stages" not in {p.field for p in problems}


def test_missing_stage_id_is_named_by_position() -> None:
    text = _script(
        """
        - kind: text
          title: Story
          prompt: Tell us.
        """
    )
    assert _only(text).startswith(f"{NAME}:10: stage '#2': field 'id': ")


# --- ikiganiro check ---------------------------------------------------------------------------


def _write_misspelled(directory: Path) -> tuple[Path, int]:
    text = _script(
        """
        - id: story
          kind: text
          title: Story
          promt: Tell us.
        """
    )
    path = directory / "sample.yaml"
    path.write_text(text, encoding="utf-8")
    return path, _line_of(text, "promt:")


def test_check_reports_a_misspelled_field_in_a_directory(tmp_path: Path) -> None:
    path, line = _write_misspelled(tmp_path)
    (tmp_path / "good.yaml").write_text(HEADER.replace("id: sample", "id: good"), "utf-8")
    (tmp_path / "notes.txt").write_text("not a script", encoding="utf-8")
    rendered = [str(p) for p in check([tmp_path])]
    assert rendered == [
        f"{path}:{line}: stage 'story': field 'promt': unknown field 'promt'; "
        "did you mean 'prompt'?"
    ]


def test_check_accepts_files_and_directories(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(HEADER.replace("id: sample", "id: good"), "utf-8")
    assert check([tmp_path, tmp_path / "good.yaml"]) == []


def test_check_reports_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    assert [str(p) for p in check([missing])] == [
        f"{missing}: script: field '(file)': No such file or directory"
    ]


def test_check_reports_an_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "odd.yaml").mkdir()
    problems = check([tmp_path])
    assert len(problems) == 1
    assert problems[0].field == "(file)"
    assert str(problems[0]).startswith(f"{tmp_path / 'odd.yaml'}: script: field '(file)': ")


def test_cli_check_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli = pytest.importorskip("bot.cli", reason="bot/cli.py is not in this checkout")
    path, line = _write_misspelled(tmp_path)
    assert cli.main(["check", str(path)]) == 1
    out = capsys.readouterr()
    assert f"{path}:{line}: stage 'story': field 'promt': unknown field" in out.out + out.err
    (tmp_path / "sample.yaml").write_text(HEADER, encoding="utf-8")
    assert cli.main(["check", str(path)]) == 0
