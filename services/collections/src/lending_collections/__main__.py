from lending_collections.config import Settings
from lending_platform.serve import serve

serve("lending_collections.entrypoints.app:create_app", Settings())
