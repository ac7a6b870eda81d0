"""Ikiganiro: a facilitated police–community dialogue, run inside a Telegram group."""

__version__ = "0.1.0"
