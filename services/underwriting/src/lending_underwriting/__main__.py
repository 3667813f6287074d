from lending_platform.serve import serve
from lending_underwriting.config import Settings

serve("lending_underwriting.entrypoints.app:create_app", Settings())
