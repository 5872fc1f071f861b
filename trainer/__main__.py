"""Allow ``python -m trainer`` from a source checkout, without installing."""

from trainer.cli import main

raise SystemExit(main())
