"""The Telegram side of Ikiganiro: python-telegram-bot glue around the service.

PTB 22 warns that time periods such as ``RetryAfter.retry_after`` will become ``timedelta``;
we opt in now (``PTB_TIMEDELTA``) and handle both forms, so the warning never fires.
"""

import os

os.environ.setdefault("PTB_TIMEDELTA", "1")
