"""``python -m ruvector_attention``."""

import sys

from .cli import main

sys.exit(main())
