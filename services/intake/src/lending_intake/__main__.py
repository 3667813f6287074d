from lending_platform.serve import serve

from lending_intake.config import Settings

serve("lending_intake.entrypoints.app:create_app", Settings())
