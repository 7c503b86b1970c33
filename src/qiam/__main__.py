"""``python -m qiam``: the command line."""

from __future__ import annotations

import sys

from qiam.cli import main

sys.exit(main())
