"""Entry script of the frozen executable: the installed ``termii-desk`` command, nothing more."""

from termii_desk.cli import main

raise SystemExit(main())
