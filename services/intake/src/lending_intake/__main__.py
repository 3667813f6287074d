from lending_intake.config import Settings
from lending_platform.serve import serve

serve("lending_intake.entrypoints.app:create_app", Settings())
