import sys

from rightsbot.cli import main

sys.exit(main())
