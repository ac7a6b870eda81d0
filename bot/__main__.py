"""Allow ``python -m bot`` as well as the ``ikiganiro`` console script."""

from bot.cli import main

raise SystemExit(main())
