from lending_platform.serve import serve
from lending_servicing.config import Settings

serve("lending_servicing.entrypoints.app:create_app", Settings())
