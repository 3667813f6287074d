from lending_platform.serve import serve

from lending_ledger.config import Settings

serve("lending_ledger.entrypoints.app:create_app", Settings())
