from lending_platform.serve import serve

from lending_collections.config import Settings

serve("lending_collections.entrypoints.app:create_app", Settings())
