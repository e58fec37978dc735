"""Entry point for ``python -m termii_desk``."""

from termii_desk.cli import main

raise SystemExit(main())
