"""Run the demo: ``python -m skhypergrad [--csv PATH --target COLUMN]``."""

from ._demo import main

raise SystemExit(main())
