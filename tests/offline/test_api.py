"""The fake Bot API answers PTB 22.8 the way Telegram does.

Every test goes through a real ``Application``/``Bot`` so PTB's own request layer parses the
answers and maps errors; nothing here calls the fake's handlers directly.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from telegram import (
    Bot,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReactionTypeEmoji,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes

from bot.offline.api import NOT_MODIFIED, FakeBotApi

GROUP = -100_1234
BASIC = -5_678
FORUM = -100_9999
FAC = 7_100_001
RES = 7_300_003
T0 = 1_741_000_000.0

App = Application[Any, Any, Any, Any, Any, Any]


def raises(error: type[TelegramError], text: str) -> pytest.RaisesExc[TelegramError]:
    """``pytest.raises`` for an API description; PTB strips "Bad Request: " and capitalizes."""
    return pytest.raises(error, match="(?i)" + re.escape(text))


class Clock:
    """A hand-driven clock so message dates are exact."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeBotApi:
    fake = FakeBotApi(bot_username="ikiganiro_bot", clock=clock)
    fake.add_user(FAC, "Facilitator", "fr", "Uwase")
    fake.add_user(RES, "Zawadi", "rn", "Quill")
    fake.add_group(GROUP, "Quartier Rohero", admins=(FAC,))
    fake.add_group(BASIC, "Kamenge", supergroup=False, admins=(FAC,))
    fake.add_group(FORUM, "Commune forum", forum=True, admins=(FAC,))
    return fake


@pytest.fixture
async def app(fake: FakeBotApi) -> AsyncIterator[App]:
    application = (
        ApplicationBuilder()
        .token("123456:TEST")
        .request(fake)
        .get_updates_request(fake)
        .updater(None)
        .build()
    )
    async with application:
        yield application


@pytest.fixture
def bot(app: App) -> Bot:
    bot: Bot = app.bot
    return bot


def join_markup(data: str = "join") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Join", callback_data=data),
                InlineKeyboardButton("Answer privately", url="https://t.me/ikiganiro_bot?start=a"),
            ]
        ]
    )


# ------------------------------------------------------------------------------ wiring


async def test_application_initializes_against_the_fake(app: App, fake: FakeBotApi) -> None:
    assert app.bot.username == "ikiganiro_bot"
    assert app.bot.id == 123456
    me = await app.bot.get_me()
    assert me.can_read_all_group_messages is False
    assert me.can_join_groups is True


async def test_a_token_for_another_bot_is_unauthorized(fake: FakeBotApi) -> None:
    application = ApplicationBuilder().token("42:OTHER").request(fake).updater(None).build()
    with raises(InvalidToken, "rejected"):
        await application.initialize()


async def test_unknown_method_is_404(bot: Bot, fake: FakeBotApi) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": GROUP})
    assert fake.calls[-1].error is not None
    assert fake.calls[-1].error.status == 404


async def test_handlers_see_updates_and_reply(app: App, fake: FakeBotApi) -> None:
    async def hello(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        assert update.effective_user is not None
        await update.effective_message.reply_text(f"hello {update.effective_user.first_name}")

    app.add_handler(CommandHandler("hello", hello))
    await app.process_update(
        Update.de_json(fake.command(RES, GROUP, "/hello@ikiganiro_bot"), app.bot)
    )
    sent = fake.calls_to("sendMessage", GROUP)
    assert [c.result["text"] for c in sent] == ["hello Zawadi"]
    assert sent[0].params["reply_parameters"]["message_id"] == 1
    assert sent[0].result["reply_to_message"]["from"]["id"] == RES


async def test_polling_updater_serves_delivered_updates(fake: FakeBotApi) -> None:
    application = (
        ApplicationBuilder().token("123456:TEST").request(fake).get_updates_request(fake).build()
    )
    seen = asyncio.Event()

    async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.set()

    application.add_handler(CommandHandler("start", on_start))
    async with application:
        assert application.updater is not None
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=timedelta(seconds=10))
        fake.deliver(fake.start(RES, "abc"))
        await asyncio.wait_for(seen.wait(), 2)
        await application.updater.stop()
        await application.stop()
    assert fake.calls_to("deleteWebhook")


# ------------------------------------------------------------------------------ messages


async def test_ids_are_per_chat_and_shared_with_users_dates_follow_the_clock(
    bot: Bot, fake: FakeBotApi, clock: Clock
) -> None:
    first = Update.de_json(fake.text(RES, GROUP, "muraho"), bot)
    clock.now += 61.7
    sent = await bot.send_message(GROUP, "Welcome")
    other = await bot.send_message(BASIC, "Welcome too")
    assert first.message is not None
    assert first.message.message_id == 1
    assert sent.message_id == 2
    assert other.message_id == 1
    assert int(sent.date.timestamp()) == int(T0 + 61.7)
    assert sent.from_user is not None
    assert sent.from_user.id == bot.id
    assert sent.from_user.is_bot
    assert sent.chat.type == "supergroup"
    assert sent.chat.title == "Quartier Rohero"
    assert other.chat.type == "group"
    stored = fake.message(GROUP, 2)
    assert stored is not None
    assert stored["text"] == "Welcome"
    assert stored["deleted"] is False


async def test_private_chats_need_start_and_fail_when_blocked(bot: Bot, fake: FakeBotApi) -> None:
    with raises(Forbidden, "bot can't initiate conversation with a user"):
        await bot.send_message(RES, "hi")
    update = Update.de_json(fake.start(RES, "join-42"), bot)
    assert update.message is not None
    assert update.message.text == "/start join-42"
    assert update.message.chat.type == "private"
    assert update.message.entities[0].type == MessageEntity.BOT_COMMAND
    msg = await bot.send_message(RES, "Murakaza neza")
    assert msg.chat.type == "private"
    assert msg.chat.first_name == "Zawadi"
    assert msg.message_id == 2  # /start took 1
    fake.block(RES)
    with raises(Forbidden, "bot was blocked by the user"):
        await bot.send_message(RES, "still there?")
    fake.start(RES)  # restarting the bot unblocks it
    await bot.send_message(RES, "welcome back")


async def test_kicked_bot_gets_forbidden(bot: Bot, fake: FakeBotApi) -> None:
    fake.kick_bot(GROUP)
    with raises(Forbidden, "bot was kicked from the supergroup chat"):
        await bot.send_message(GROUP, "x")
    with raises(BadRequest, "chat not found"):
        await bot.send_message(-100_4040, "x")


async def test_migration_raises_chat_migrated_and_yields_service_updates(
    bot: Bot, fake: FakeBotApi
) -> None:
    old_update, new_update = fake.migrate(BASIC, -100_5678, by_user=FAC)
    with pytest.raises(ChatMigrated) as exc:
        await bot.send_message(BASIC, "x")
    assert exc.value.new_chat_id == -100_5678
    old = Update.de_json(old_update, bot).message
    new = Update.de_json(new_update, bot).message
    assert old is not None
    assert new is not None
    assert old.migrate_to_chat_id == -100_5678
    assert new.migrate_from_chat_id == BASIC
    assert new.chat.type == "supergroup"
    assert new_update["update_id"] == old_update["update_id"] + 1
    sent = await bot.send_message(-100_5678, "moved")
    assert sent.message_id == 2


async def test_html_is_parsed_into_text_and_entities(bot: Bot, fake: FakeBotApi) -> None:
    msg = await bot.send_message(
        GROUP,
        '<b>Étape 2</b> &amp; <i>vote</i> — <a href="https://x.org">lien</a> 😀 <code>ok</code>',
        parse_mode=ParseMode.HTML,
    )
    assert msg.text == "Étape 2 & vote — lien 😀 ok"
    types = [(e.type, e.offset, e.length) for e in msg.entities]
    assert types == [("bold", 0, 7), ("italic", 10, 4), ("text_link", 17, 4), ("code", 25, 2)]
    assert msg.text_html.startswith("<b>Étape 2</b> &amp; <i>vote</i>")


async def test_what_the_fake_hands_out_is_a_copy_of_what_it_keeps(
    bot: Bot, fake: FakeBotApi
) -> None:
    """Equal keyboards and entities are kept once for every message that has them; changing
    the JSON a caller was handed changes nothing kept, in that message or another."""
    for _ in range(2):
        await bot.send_message(
            GROUP, "<b>Vote</b>", parse_mode=ParseMode.HTML, reply_markup=join_markup()
        )
    first, second = fake.messages(GROUP)[-2:]
    first["reply_markup"]["inline_keyboard"][0][0]["text"] = "Leave"
    first["entities"][0]["type"] = "italic"
    for handed in (*fake.messages(GROUP)[-2:], second):
        assert handed["reply_markup"]["inline_keyboard"][0][0]["text"] == "Join"
        assert handed["entities"][0]["type"] == "bold"


@pytest.mark.parametrize(
    "text",
    ["<b>open", "<div>x</div>", "a < b", "<b><i>x</b></i>", "x</b>", "<span>s</span>", "<br/>x"],
)
async def test_bad_html_is_refused(bot: Bot, text: str) -> None:
    with raises(BadRequest, "can't parse entities"):
        await bot.send_message(GROUP, text, parse_mode=ParseMode.HTML)


async def test_text_limits(bot: Bot) -> None:
    with raises(BadRequest, "message is too long"):
        await bot.send_message(GROUP, "a" * 4097)
    await bot.send_message(GROUP, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with raises(BadRequest, "message text is empty"):
        await bot.send_message(GROUP, "<b> </b>", parse_mode=ParseMode.HTML)


async def test_callback_data_is_limited_to_64_bytes(bot: Bot, fake: FakeBotApi) -> None:
    await bot.send_message(GROUP, "ok", reply_markup=join_markup("x" * 64))
    with raises(BadRequest, "BUTTON_DATA_INVALID"):
        await bot.send_message(GROUP, "too long", reply_markup=join_markup("é" * 33))
    assert fake.calls[-1].error is not None
    assert (
        fake.calls[-1].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "é" * 33
    )


async def test_replies_resolve_both_ways(bot: Bot, fake: FakeBotApi) -> None:
    prompt = await bot.send_message(GROUP, "What worries you?")
    update = Update.de_json(
        fake.text(RES, GROUP, "Street lights", reply_to=prompt.message_id), bot
    )
    assert update.message is not None
    reply_to = update.message.reply_to_message
    assert reply_to is not None
    assert reply_to.from_user is not None
    assert reply_to.from_user.id == bot.id
    assert reply_to.text == "What worries you?"
    # In a plain supergroup a reply joins the thread rooted at the first message of the chain.
    assert update.message.message_thread_id == prompt.message_id
    assert not update.message.is_topic_message
    thanks = await update.message.reply_text("Thanks")
    assert thanks.reply_to_message is not None
    assert thanks.reply_to_message.text == "Street lights"
    with raises(BadRequest, "message to be replied not found"):
        await bot.send_message(GROUP, "x", reply_parameters=ReplyParameters(999))
    lenient = await bot.send_message(
        GROUP, "x", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True)
    )
    assert lenient.reply_to_message is None


async def test_forum_topics(bot: Bot, fake: FakeBotApi) -> None:
    topic = fake.add_topic(FORUM, "Sécurité", by_user=FAC)
    update = Update.de_json(fake.text(RES, FORUM, "In the topic", thread_id=topic), bot)
    assert update.message is not None
    assert update.message.is_topic_message
    assert update.message.message_thread_id == topic
    answer = await update.message.reply_text("Noted")
    assert answer.message_thread_id == topic
    assert answer.is_topic_message
    general = await bot.send_message(FORUM, "General")
    assert general.message_thread_id is None
    with raises(BadRequest, "message thread not found"):
        await bot.send_message(FORUM, "x", message_thread_id=general.message_id)


async def test_edit_and_delete_errors(bot: Bot, fake: FakeBotApi, clock: Clock) -> None:
    msg = await bot.send_message(
        GROUP, "<b>Stage 1</b>", parse_mode="HTML", reply_markup=join_markup()
    )
    with pytest.raises(BadRequest) as exc:
        await bot.edit_message_text(
            "<b>Stage 1</b>", GROUP, msg.message_id, parse_mode="HTML", reply_markup=join_markup()
        )
    assert exc.value.message == NOT_MODIFIED.removeprefix("Bad Request: ").capitalize()
    clock.now += 5
    edited = await bot.edit_message_text("Stage 2", GROUP, msg.message_id)
    assert isinstance(edited, Message)
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # an edit without reply_markup drops the keyboard
    with raises(BadRequest, "message is not modified"):
        await bot.edit_message_reply_markup(GROUP, msg.message_id)
    await bot.edit_message_reply_markup(GROUP, msg.message_id, reply_markup=join_markup())
    with raises(BadRequest, "message to edit not found"):
        await bot.edit_message_text("x", GROUP, 999)
    user_msg = Update.de_json(fake.text(RES, GROUP, "mine"), bot).message
    assert user_msg is not None
    with raises(BadRequest, "message can't be edited"):
        await bot.edit_message_text("x", GROUP, user_msg.message_id)
    with raises(BadRequest, "message can't be deleted"):
        await bot.delete_message(GROUP, user_msg.message_id)  # not an admin
    assert await bot.delete_message(GROUP, msg.message_id)
    with raises(BadRequest, "message to delete not found"):
        await bot.delete_message(GROUP, msg.message_id)
    stored = fake.message(GROUP, msg.message_id)
    assert stored is not None
    assert stored["deleted"] is True
    assert stored["text"] == "Stage 2"


async def test_user_edits_become_edited_message_updates(bot: Bot, fake: FakeBotApi) -> None:
    fake.text(RES, GROUP, "first draft")
    update = Update.de_json(fake.edit(RES, GROUP, 1, "final"), bot)
    assert update.edited_message is not None
    assert update.edited_message.text == "final"
    assert update.edited_message.edit_date is not None


async def test_pins_reactions_and_refusals(bot: Bot, fake: FakeBotApi) -> None:
    msg = await bot.send_message(GROUP, "Agenda")
    assert await bot.pin_chat_message(GROUP, msg.message_id)
    after = await bot.send_message(GROUP, "next")
    assert after.message_id == msg.message_id + 2  # the pin's service message took one id
    chat = await bot.get_chat(GROUP)
    assert chat.pinned_message is not None
    assert chat.pinned_message.message_id == msg.message_id
    await bot.set_message_reaction(GROUP, msg.message_id, [ReactionTypeEmoji("👍")])
    with raises(BadRequest, "REACTION_INVALID"):
        await bot.set_message_reaction(GROUP, msg.message_id, "✅")
    fake.refuse("pinChatMessage")
    fake.refuse("setMessageReaction", chat_id=BASIC)
    with raises(BadRequest, "not enough rights to manage pinned messages"):
        await bot.pin_chat_message(GROUP, after.message_id)
    other = await bot.send_message(BASIC, "x")
    with raises(BadRequest, "REACTION_INVALID"):
        await bot.set_message_reaction(BASIC, other.message_id, "👍")
    await bot.set_message_reaction(GROUP, after.message_id, "🔥")
    assert await bot.unpin_chat_message(GROUP)
    stored = fake.message(GROUP, msg.message_id)
    assert stored is not None
    assert stored["pinned"] is False
    assert stored["reactions"] == ["👍"]


# ------------------------------------------------------------------------------ injected errors


async def test_injected_errors_map_to_ptb_exceptions(
    bot: Bot, fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # int retry_after is deprecated in PTB 22.2+
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter) as exc:
        await bot.send_message(GROUP, "x")
    assert exc.value.retry_after == timedelta(seconds=3)
    await bot.send_message(GROUP, "now fine")

    fake.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=BASIC, times=2)
    await bot.send_message(GROUP, "other chats unaffected")
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(BASIC, "x")
    await bot.send_message(BASIC, "recovered")

    fake.fail(
        "editMessageText",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=-100_42,
    )
    with pytest.raises(ChatMigrated):
        await bot.edit_message_text("x", GROUP, 1)
    fake.fail("getChat", 400, "Bad Request: chat not found", times=None)
    for _ in range(3):
        with raises(BadRequest, "chat not found"):
            await bot.get_chat(GROUP)
    failed = [c for c in fake.calls if not c.ok]
    assert [c.method for c in failed][:2] == ["sendMessage", "sendMessage"]
    assert all(c.error is not None and c.error.status in (400, 403, 429) for c in failed)


# ------------------------------------------------------------------------------ updates


async def test_get_updates_confirms_by_offset(bot: Bot, fake: FakeBotApi) -> None:
    a = fake.command(RES, GROUP, "/join")
    b = fake.command(FAC, GROUP, "/next@ikiganiro_bot")
    c = fake.start(RES)
    assert fake.deliver(a, b, c) == [True, True, True]
    assert [u.update_id for u in await bot.get_updates()] == [1, 2, 3]
    assert [u.update_id for u in await bot.get_updates(offset=2, limit=1)] == [2]
    assert [u.update_id for u in await bot.get_updates()] == [2, 3]  # 1 is confirmed and gone
    assert await bot.get_updates(offset=4) == ()
    assert fake.pending_updates() == []
    fake.next_update_id = 100
    fake.deliver(fake.command(RES, GROUP, "/join"))
    fake.next_update_id = 50  # ids going backwards: confirmed at once by the old offset
    fake.deliver(fake.command(RES, GROUP, "/join"))
    assert [u.update_id for u in await bot.get_updates(offset=4)] == [100, 50]
    assert [u.update_id for u in await bot.get_updates(offset=101)] == []


async def test_empty_long_poll_returns_promptly(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=timedelta(seconds=30)) == ()
    assert time.monotonic() - started < 1


async def test_privacy_mode_filters_group_messages(bot: Bot, fake: FakeBotApi) -> None:
    prompt = await bot.send_message(GROUP, "Reply to this")
    visible = fake.deliver(
        fake.text(RES, GROUP, "chatter"),
        fake.command(RES, GROUP, "/join@other_bot"),
        fake.command(RES, GROUP, "/join"),
        fake.text(RES, GROUP, "answer", reply_to=prompt.message_id),
        fake.text(RES, RES, "private"),
    )
    assert visible == [False, False, True, True, True]
    open_fake = FakeBotApi(can_read_all_group_messages=True)
    open_fake.add_user(RES, "Zawadi")
    open_fake.add_group(GROUP, "G")
    assert open_fake.deliver(open_fake.text(RES, GROUP, "chatter")) == [True]


async def test_callback_queries(bot: Bot, fake: FakeBotApi) -> None:
    msg = await bot.send_message(GROUP, "Join?", reply_markup=join_markup())
    first = Update.de_json(fake.press(RES, GROUP, msg.message_id, "join"), bot)
    second = Update.de_json(fake.press(FAC, GROUP, msg.message_id, "join"), bot)
    query = first.callback_query
    assert query is not None
    assert second.callback_query is not None
    assert query.id != second.callback_query.id
    assert query.from_user.id == RES
    assert query.data == "join"
    assert query.chat_instance
    assert isinstance(query.message, Message)
    assert query.message.reply_markup == join_markup()
    assert await query.answer("Welcome")
    with raises(BadRequest, "query is too old"):
        await query.answer()
    await query.edit_message_text("Joined: Zawadi")
    with pytest.raises(ValueError, match="no button"):
        fake.press(RES, GROUP, msg.message_id, "join")  # the keyboard is gone now


async def test_a_button_is_pressed_by_what_it_says(bot: Bot, fake: FakeBotApi) -> None:
    older = await bot.send_message(GROUP, "Join?", reply_markup=join_markup("old"))
    newer = await bot.send_message(GROUP, "Join again?", reply_markup=join_markup("new"))
    query = Update.de_json(fake.press_label(RES, GROUP, "Join"), bot).callback_query
    assert query is not None and query.from_user.id == RES
    assert query.data == "new"  # the newest message showing the label
    assert query.message is not None and query.message.message_id == newer.message_id
    query = Update.de_json(
        fake.press_label(RES, GROUP, "Join", message_id=older.message_id), bot
    ).callback_query
    assert query is not None and query.data == "old"


async def test_a_label_matches_exactly_first_then_the_start_of_a_button(
    bot: Bot, fake: FakeBotApi
) -> None:
    keys = [
        [InlineKeyboardButton("Vote ✓", callback_data="prefixed")],
        [InlineKeyboardButton("Voters", callback_data="longer-word")],
    ]
    await bot.send_message(GROUP, "Tally", reply_markup=InlineKeyboardMarkup(keys))
    assert fake.press_label(RES, GROUP, "Vote")["callback_query"]["data"] == "prefixed"
    exact = [[InlineKeyboardButton("Vote", callback_data="exact")]]
    await bot.send_message(GROUP, "Older", reply_markup=InlineKeyboardMarkup(exact))
    await bot.send_message(GROUP, "Newer", reply_markup=InlineKeyboardMarkup(keys))
    assert fake.press_label(RES, GROUP, "Vote")["callback_query"]["data"] == "exact"
    both = [[InlineKeyboardButton("Yes, all", callback_data="a")]]
    both.append([InlineKeyboardButton("Yes, some", callback_data="b")])
    await bot.send_message(GROUP, "Which?", reply_markup=InlineKeyboardMarkup(both))
    with pytest.raises(ValueError, match="could be any of 'Yes, all', 'Yes, some'"):
        fake.press_label(RES, GROUP, "Yes,")


async def test_a_start_link_button_opens_the_private_chat(bot: Bot, fake: FakeBotApi) -> None:
    await bot.send_message(GROUP, "Join?", reply_markup=join_markup())
    update = Update.de_json(fake.press_label(RES, GROUP, "Answer privately"), bot)
    assert update.message is not None and update.message.text == "/start a"
    assert update.message.chat.id == RES  # the person's private chat, which they started
    await bot.send_message(RES, "Welcome")
    elsewhere = InlineKeyboardButton("Help", url="https://t.me/other_bot?start=x")
    await bot.send_message(GROUP, "See", reply_markup=InlineKeyboardMarkup([[elsewhere]]))
    with pytest.raises(ValueError, match=re.escape("opens https://t.me/other_bot")):
        fake.press_label(RES, GROUP, "Help")


async def test_a_label_not_on_screen_names_what_is(bot: Bot, fake: FakeBotApi) -> None:
    with pytest.raises(ValueError, match="no message there shows a button"):
        fake.press_label(RES, GROUP, "Join")
    msg = await bot.send_message(GROUP, "Join?", reply_markup=join_markup())
    await bot.send_message(GROUP, "No buttons here")
    expected = f"message {msg.message_id}: [Join] [Answer privately]"
    with pytest.raises(ValueError, match=re.escape(expected)):
        fake.press_label(RES, GROUP, "Leave")
    await bot.edit_message_reply_markup(GROUP, msg.message_id, reply_markup=None)
    with pytest.raises(ValueError, match="no button 'Join'"):
        fake.press_label(RES, GROUP, "Join")  # the keyboard is gone
    fake.started(FAC)
    await bot.send_message(FAC, "Private", reply_markup=join_markup())
    with pytest.raises(ValueError, match="cannot see the private chat"):
        fake.press_label(RES, FAC, "Join")


async def test_membership_updates_parse(bot: Bot, fake: FakeBotApi) -> None:
    fake.add_group(-100_777, "New", bot_present=False)
    with raises(Forbidden, "not a member"):
        await bot.send_message(-100_777, "x")
    added = Update.de_json(fake.bot_added(-100_777, FAC, admin=True), bot).my_chat_member
    assert added is not None
    assert added.old_chat_member.status == "left"
    assert isinstance(added.new_chat_member, ChatMemberAdministrator)
    await bot.send_message(-100_777, "hello")
    removed = Update.de_json(fake.bot_removed(-100_777, FAC), bot).my_chat_member
    assert removed is not None
    assert isinstance(removed.new_chat_member, ChatMemberBanned)
    with raises(Forbidden, "kicked from the supergroup chat"):
        await bot.send_message(-100_777, "x")
    joined = Update.de_json(fake.new_chat_members(GROUP, RES, [RES]), bot).message
    assert joined is not None
    assert [u.id for u in joined.new_chat_members] == [RES]


async def test_chat_queries_and_commands(bot: Bot, fake: FakeBotApi) -> None:
    fake.text(RES, GROUP, "hi")
    admins = await bot.get_chat_administrators(GROUP)
    assert [type(a) for a in admins] == [ChatMemberOwner]
    assert isinstance(await bot.get_chat_member(GROUP, RES), ChatMemberMember)
    assert (await bot.get_chat_member(GROUP, bot.id)).status == "member"
    chat = await bot.get_chat(FORUM)
    assert chat.is_forum
    assert chat.type == "supergroup"
    fake.refuse("getChatAdministrators")
    with raises(BadRequest, "member list is inaccessible"):
        await bot.get_chat_administrators(GROUP)
    await bot.set_my_commands([("next", "Next stage")], language_code="fr")
    assert [c.command for c in await bot.get_my_commands(language_code="fr")] == ["next"]
    assert await bot.get_my_commands() == ()
    assert fake.commands(language_code="fr") == [{"command": "next", "description": "Next stage"}]
    with raises(BadRequest, "BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Next-Stage", "x")])
    await bot.delete_my_commands(language_code="fr")
    assert fake.commands(language_code="fr") == []
    assert await bot.leave_chat(BASIC)
    with raises(Forbidden, "not a member of the group chat"):
        await bot.send_message(BASIC, "x")


# ------------------------------------------------------------------------------ transcript


async def test_transcript_reads_like_the_chat(bot: Bot, fake: FakeBotApi) -> None:
    fake.text(FAC, GROUP, "/open@ikiganiro_bot")
    stage = await bot.send_message(
        GROUP,
        "<b>Stage 1</b> — who &amp; why?",
        parse_mode=ParseMode.HTML,
        reply_markup=join_markup(),
    )
    await bot.pin_chat_message(GROUP, stage.message_id)
    fake.text(RES, GROUP, "Me", reply_to=stage.message_id)
    gone = await bot.send_message(GROUP, "oops")
    await bot.delete_message(GROUP, gone.message_id)
    ack = await bot.send_message(GROUP, "Thanks")
    await bot.set_message_reaction(GROUP, ack.message_id, "👍")
    await bot.edit_message_text("Thanks, Zawadi", GROUP, ack.message_id)
    fake.new_chat_members(GROUP, FAC, [RES])
    assert fake.transcript(GROUP) == (
        "Facilitator Uwase: /open@ikiganiro_bot\n"
        "Ikiganiro: Stage 1 — who & why? (pinned)\n"
        "  [ Join ]  [ Answer privately ↗ ]\n"
        "Zawadi Quill ↩ Ikiganiro: Me\n"
        "Ikiganiro: Thanks, Zawadi 👍\n"
        "· Facilitator Uwase added Zawadi Quill"
    )


async def test_transcript_wraps_long_lines(bot: Bot, fake: FakeBotApi) -> None:
    await bot.send_message(GROUP, "word " * 30 + "\nsecond paragraph")
    lines = fake.transcript(GROUP, width=40).splitlines()
    assert all(len(line) <= 40 for line in lines)
    assert lines[0].startswith("Ikiganiro: word")
    assert all(line.startswith("  ") for line in lines[1:])
    assert lines[-1] == "  second paragraph"
