import sys

from lending_events.schema_tools.cli import main

sys.exit(main())
