from lending_ledger.config import Settings
from lending_platform.serve import serve

serve("lending_ledger.entrypoints.app:create_app", Settings())
