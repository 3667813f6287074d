"""The local PostgreSQL's cache is sized from the machine, within bounds, or as told."""

from lending_devstack import DevstackSettings
from lending_devstack.settings import default_shared_buffers_mb

GB = 2**30


def test_the_cache_is_a_quarter_of_the_memory_between_128_mb_and_8_gb():
    assert default_shared_buffers_mb(24 * GB) == 6144
    assert default_shared_buffers_mb(256 * 2**20) == 128
    assert default_shared_buffers_mb(128 * GB) == 8192


def test_the_environment_sets_the_cache(monkeypatch):
    monkeypatch.setenv("LENDING_PG_SHARED_BUFFERS_MB", "300")
    assert DevstackSettings().pg_shared_buffers_mb == 300
    monkeypatch.delenv("LENDING_PG_SHARED_BUFFERS_MB")
    assert DevstackSettings().pg_shared_buffers_mb == default_shared_buffers_mb()
