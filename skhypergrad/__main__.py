"""Run the demo: ``python -m skhypergrad [--csv PATH --target COLUMN]``."""

from ._cli.demo import main

raise SystemExit(main())
