"""``ikiganiro``: the one command people type, with a sub-command per job.

Every failure a user can cause (a bad script, a missing token, a wrong key) ends with one clear
message on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.dialogues import DEFAULT_SCRIPT, DIALOGUES_DIR, check

DEMO_CHARTER = "ikiganiro-charter.pdf"

if TYPE_CHECKING:
    from bot.storage import DataKey


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ikiganiro",
        description="A Telegram bot for facilitated dialogues between police and residents.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    checker = commands.add_parser("check", help="validate dialogue scripts and catalogs")
    checker.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help=f"scripts (.yaml, folders) and catalogs (.po); default: {DIALOGUES_DIR.name}/ "
        "and every shipped catalog",
    )
    demo = commands.add_parser(
        "demo", help="a whole session offline, printed as the group sees it"
    )
    demo.add_argument("--script", default=DEFAULT_SCRIPT)
    demo.add_argument("--language", default="en")
    demo.add_argument(
        "--charter",
        type=Path,
        default=Path(DEMO_CHARTER),
        help=f"where to write the charter the group got (default: {DEMO_CHARTER})",
    )
    charter = commands.add_parser(
        "charter", help="write a session's printable charter (PDF) from the database"
    )
    charter.add_argument("session_id")
    charter.add_argument("--language", help="default: the session's language")
    charter.add_argument("--second-language", help="a second language, side by side")
    charter.add_argument("--place", help="where the group met (else a line to write it on)")
    charter.add_argument("-o", "--output", type=Path, required=True, help="the PDF to write")
    commands.add_parser("run", help="serve Telegram by long polling (needs the environment)")
    commands.add_parser("keygen", help="print a new IKIGANIRO_DATA_KEY")
    backup = commands.add_parser("backup", help="a consistent copy of the database, while it runs")
    backup.add_argument("dest", type=Path)
    commands.add_parser(
        "status", help="pending and set-aside messages and updates, and the last errors"
    )
    export = commands.add_parser(
        "export", help="the coordinator's facts across groups: no names, ids or text"
    )
    export.add_argument("--since", metavar="DATE", help="sessions opened on or after DATE")
    export.add_argument("--format", default="json", help="csv or json (default: json)")
    export.add_argument("-o", dest="output", type=Path, metavar="FILE", help="default: stdout")
    report = commands.add_parser(
        "report", help="one self-contained HTML page with charts across groups"
    )
    report.add_argument("-o", dest="output", type=Path, metavar="FILE.html")
    return parser


def _check(paths: list[Path]) -> int:
    from bot.i18n.check import (
        check_catalog,
        language_of,
        shipped_catalogs,
        template_out_of_date,
    )
    from bot.words.fit import commands_over_limits, notices_over_limits
    from bot.words.notices import declaration_problems

    catalogs = [p for p in paths if p.suffix == ".po"] if paths else shipped_catalogs()
    scripts = [p for p in paths if p.suffix != ".po"] if paths else [DIALOGUES_DIR]
    problems = [str(problem) for problem in check(scripts)] if scripts else []
    if not paths:  # the code's own words: notice declarations, and the template they feed
        problems += declaration_problems() + template_out_of_date()
        for shipped in catalogs:  # each language's notices with long values, against Telegram
            language = language_of(shipped)
            problems += notices_over_limits(language) + commands_over_limits(language)
    for catalog in catalogs:
        problems += check_catalog(catalog)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(f"{_checked(scripts, catalogs)} valid")
    return 0


def _checked(scripts: list[Path], catalogs: list[Path]) -> str:
    if not catalogs:
        return "all dialogue scripts are"
    if not scripts:
        return "all catalogs are"
    return "all dialogue scripts and catalogs are"


def _keygen() -> int:
    from bot.storage.cli import keygen

    print(keygen())
    return 0


def _database() -> tuple[Path, DataKey]:
    """The database and its key, from the environment, or ConfigError saying what is wrong."""
    from bot.settings import ConfigError, load
    from bot.storage import DataKey, KeyFormatError

    settings = load()
    if settings.data_key is None or not settings.data_key.get_secret_value():
        raise ConfigError("IKIGANIRO_DATA_KEY is not set: it is needed to open the database.")
    try:
        return settings.db, DataKey.from_env_value(settings.data_key.get_secret_value())
    except KeyFormatError as error:
        raise ConfigError(f"IKIGANIRO_DATA_KEY: {error}") from None


def _backup(dest: Path) -> int:
    from bot.settings import ConfigError
    from bot.storage import StorageError
    from bot.storage.cli import backup

    try:
        db, key = _database()
        asyncio.run(backup(db, dest, key))
    except (ConfigError, StorageError) as error:
        print(error, file=sys.stderr)
        return 2
    print(f"backup written to {dest}")
    return 0


def _status() -> int:
    from bot.settings import ConfigError
    from bot.storage import StorageError
    from bot.storage.cli import status

    try:
        db, key = _database()
        print(asyncio.run(status(db, key)).table())
    except (ConfigError, StorageError) as error:
        print(error, file=sys.stderr)
        return 2
    return 0


class _Mistake(Exception):
    """An operator's mistake on the command line, said in one sentence."""


def _since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Mistake(f"--since {value!r} is not a date; write it as YYYY-MM-DD.") from None


def _write(output: Path | None, text: str) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise _Mistake(f"cannot write {output}: {error.strerror or error}.") from None


def _export(since: str | None, fmt: str, output: Path | None) -> int:
    from bot.export import FORMATS, collect, render
    from bot.settings import ConfigError
    from bot.storage import StorageError

    try:
        if fmt not in FORMATS:
            raise _Mistake(f"--format {fmt!r} is not known; use csv or json.")
        day = _since(since)
        db, key = _database()
        _write(output, render(asyncio.run(collect(db, key, day)), fmt))
    except (ConfigError, StorageError, _Mistake) as error:
        print(error, file=sys.stderr)
        return 2
    return 0


def _report(output: Path | None) -> int:
    from bot.dialogues import Library
    from bot.export import collect
    from bot.report import render_report
    from bot.settings import ConfigError
    from bot.storage import StorageError

    try:
        if output is None:
            raise _Mistake("ikiganiro report needs -o FILE.html: where to write the page.")
        db, key = _database()
        rows = asyncio.run(collect(db, key))
        _write(output, render_report(rows, Library.load(), datetime.now(UTC).date()))
    except (ConfigError, StorageError, _Mistake) as error:
        print(error, file=sys.stderr)
        return 2
    print(f"report written to {output}")
    return 0


def _run() -> int:
    from bot.settings import ConfigError, load, require_for_run
    from bot.storage import DataKey, KeyFormatError, StorageError
    from bot.telegram.serve import TokenRefused, serve

    try:
        settings = load()
        token, key = require_for_run(settings)
        DataKey.from_env_value(key)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    except KeyFormatError as error:
        print(f"IKIGANIRO_DATA_KEY: {error}", file=sys.stderr)
        return 2
    _quiet_logging(token, settings.log_level)
    stop = asyncio.Event()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, token, key, stop)

    try:
        asyncio.run(main())
    except StorageError as error:
        print(error, file=sys.stderr)
        return 2
    except TokenRefused:
        print(
            f"IKIGANIRO_TOKEN: the Bot API server at {settings.api_url} refused this token; "
            "copy it again from @BotFather.",
            file=sys.stderr,
        )
        return 2
    return 0


def _demo(script: str, language: str, charter: Path) -> int:
    from bot.demo import DemoError, run_demo

    try:
        print(asyncio.run(run_demo(script, language, charter=charter)))
    except DemoError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


def _charter(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from bot.charter.export import CharterError, session_charter
    from bot.settings import ConfigError
    from bot.storage import StorageError

    try:
        db, key = _database()
        content = asyncio.run(
            session_charter(
                db,
                key,
                args.session_id,
                language=args.language,
                second_language=args.second_language,
                place=args.place,
                now=datetime.now(UTC),
            )
        )
        args.output.write_bytes(content)
    except (ConfigError, StorageError, CharterError) as error:
        print(error, file=sys.stderr)
        return 2
    except OSError as error:
        print(f"cannot write {args.output}: {error.strerror}", file=sys.stderr)
        return 2
    print(f"charter written to {args.output}")
    return 0


class _Redact(logging.Filter):
    """Keeps a secret out of every log line, whichever library writes it, tracebacks too."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, "<token>"), None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, text.replace(self.secret, "<token>")
        return True


# Libraries whose lines below WARNING carry what people wrote (PTB prints every update it
# fetches at DEBUG, story and author's name included) or the token (httpx prints request URLs).
QUIET_LIBRARIES = (
    "httpx",
    "httpcore",
    "telegram",
    "apscheduler",
    "aiosqlite",
    "hpack",
    "fontTools",
    "fpdf",
)


# PTB's limiter logs every 429 it passes on (max_retries=0) at ERROR, traceback included; the
# sender waits the time out and logs one line, so in a busy group the traceback only alarms.
FLOOD_LOGGER = "telegram.ext.AIORateLimiter"


class _LibrariesQuiet(logging.Filter):
    """Drops a quiet library's line below WARNING at the handler, so no logging configuration
    (a library logger set to DEBUG by hand, a root at DEBUG) lets an update reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == FLOOD_LOGGER and str(record.msg).startswith("Rate limit hit"):
            return False  # a 429 passed on, with a traceback: the sender waits it out and says so
        library = record.name.split(".", 1)[0] in QUIET_LIBRARIES
        return not library or record.levelno >= logging.WARNING


def _quiet_logging(token: str, level: str = "INFO") -> None:
    """The bot's own lines at ``level``; the libraries' at WARNING and above only, with the
    token masked in whatever still mentions it (a traceback from a handler, say)."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    for handler in logging.getLogger().handlers:
        guard(handler, token)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def guard(handler: logging.Handler, token: str) -> None:
    """What every log handler of the bot gets: no token, no library line below WARNING."""
    handler.addFilter(_Redact(token))
    handler.addFilter(_LibrariesQuiet())


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        return _check(args.paths)
    if args.command == "demo":
        return _demo(args.script, args.language, args.charter)
    if args.command == "charter":
        return _charter(args)
    if args.command == "run":
        return _run()
    if args.command == "keygen":
        return _keygen()
    if args.command == "backup":
        return _backup(args.dest)
    if args.command == "status":
        return _status()
    if args.command == "export":
        return _export(args.since, args.format, args.output)
    if args.command == "report":
        return _report(args.output)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    raise SystemExit(main())
