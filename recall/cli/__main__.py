"""`python -m recall.cli`: how the demo starts its children and the tests run the command."""

import sys

from recall.cli import main

sys.exit(main())
