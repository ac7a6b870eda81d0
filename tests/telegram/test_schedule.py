"""The group's budget goes to what people wait for: the pure choice and the budget's window."""

from __future__ import annotations

from bot import delivery as op
from bot.telegram.budget import Budget, SimulatedPace
from bot.telegram.schedule import Row, choose

G = -100123


def send(key: str | None = None, priority: op.Priority = op.Priority.ESSENTIAL) -> op.Send:
    return op.Send(chat_id=G, parts=("x",), key=key, priority=priority)


def edit(key: str, priority: op.Priority = op.Priority.PROGRESS) -> op.Edit:
    return op.Edit(chat_id=G, key=key, parts=("x",), priority=priority)


def react() -> op.React:
    return op.React(chat_id=G, message_id=9)


def rows(*operations: op.Operation) -> list[Row]:
    return [(i + 1, "s1", o) for i, o in enumerate(operations)]


def test_the_next_prompt_overtakes_progress_lines_and_reactions() -> None:
    queued = rows(edit("prompt:a"), react(), edit("welcome"), send("prompt:b"))
    choice = choose(queued, free=20, limit=20)
    assert choice.next is not None and choice.next[0] == 4


def test_a_live_message_keeps_its_own_order() -> None:
    """A card's deletion (erasure) never overtakes an earlier edit of it, nor an edit its send."""
    queued = rows(
        send("share:a1", op.Priority.CARD),
        edit("share:a1", op.Priority.CARD),
        op.Delete(chat_id=G, key="share:a1"),
    )
    order = []
    while queued:
        choice = choose(queued, free=20, limit=20)
        assert choice.next is not None and choice.settle == []
        order.append(choice.next[0])
        queued = [row for row in queued if row[0] != choice.next[0]]
    assert order == [1, 2, 3]


def test_an_edit_superseded_by_a_later_one_is_settled_unsent() -> None:
    choice = choose(rows(edit("prompt:a"), edit("prompt:b"), edit("prompt:a")), free=20, limit=20)
    assert choice.settle == [1]


def test_reactions_before_a_new_prompt_are_dropped() -> None:
    choice = choose(rows(react(), react(), send("prompt:b"), react()), free=20, limit=20)
    assert choice.settle == [1, 2]
    assert choice.next is not None and choice.next[0] == 3


def test_reactions_are_skipped_when_the_budget_is_more_than_half_spent() -> None:
    assert choose(rows(react()), free=10, limit=20).settle == []
    assert choose(rows(react()), free=9, limit=20).settle == [1]
    assert choose(rows(react()), free=None, limit=20).settle == []  # no budget to keep


def test_within_a_priority_the_queue_order_holds() -> None:
    choice = choose(rows(send(None), send(None)), free=20, limit=20)
    assert choice.next is not None and choice.next[0] == 1


def test_the_budget_is_a_sliding_minute() -> None:
    clock = SimulatedPace(at=1000.0)
    budget = Budget(per_minute=3, pace=clock)
    assert budget.free(G) == 3 and budget.wait(G) == 0.0
    budget.spend(G, 2)
    assert budget.free(G) == 1 and budget.wait(G, 2) == 60.0
    clock.advance(30)
    budget.spend(G)
    assert budget.free(G) == 0 and budget.wait(G) == 30.0  # the first two leave at 1060
    clock.advance(30)
    assert budget.free(G) == 2 and budget.wait(G, 3) == 30.0
    assert not Budget.counts(42) and Budget.counts(G)


def test_an_aside_to_one_person_is_dropped_like_a_reaction() -> None:
    aside = op.Send(chat_id=G, parts=("This command works in a private chat with me.",))
    aside = aside.model_copy(update={"priority": op.Priority.ACK})
    assert choose(rows(aside), free=9, limit=20).settle == [1]
    assert choose(rows(aside, send("prompt:b")), free=20, limit=20).settle == [1]
