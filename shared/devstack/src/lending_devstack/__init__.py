from lending_devstack.errors import DevstackError
from lending_devstack.settings import SERVICE_PORTS, SERVICES, DevstackSettings
from lending_devstack.stack import Infra

__all__ = ["SERVICES", "SERVICE_PORTS", "DevstackError", "DevstackSettings", "Infra"]
