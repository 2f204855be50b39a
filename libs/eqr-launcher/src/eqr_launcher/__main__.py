import sys

from eqr_launcher.cli import main

sys.exit(main())
