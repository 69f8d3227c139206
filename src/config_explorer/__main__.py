"""``python -m config_explorer``: the same CLI as ``config-explorer``."""

from config_explorer.cli import main

raise SystemExit(main())
