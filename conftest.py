# Fixtures for the real PostgreSQL and Kafka, shared by every package's integration tests.
pytest_plugins = ["lending_devstack.pytest_plugin"]
