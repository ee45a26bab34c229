"""The client's address through TRUSTED_PROXIES proxies (archive/clientaddress.py), and the
setting's loud failures."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from archive.clientaddress import client_address
from tests.base import manage
from tests.test_production import PRODUCTION


def address(proxies: int, remote: str = "10.0.0.2", forwarded: str | None = None) -> str | None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    with override_settings(TRUSTED_PROXIES=proxies):
        return client_address(RequestFactory().get("/", **extra))


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        # No proxy: X-Forwarded-For is the visitor's own writing.
        (0, "203.0.113.5", "198.51.100.7", "203.0.113.5"),
        # One proxy: the address it appended; what stands left of it was sent by the client.
        (1, "10.0.0.2", "203.0.113.5", "203.0.113.5"),
        (1, "10.0.0.2", "198.51.100.7, 203.0.113.5", "203.0.113.5"),
        (1, "10.0.0.2", " 1.2.3.4 ,203.0.113.5 ", "203.0.113.5"),
        # Two proxies: the outer one's entry.
        (2, "10.0.0.2", "198.51.100.7, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        # A request that skipped the outer proxy: the leftmost address a proxy saw.
        (2, "10.0.0.2", "203.0.113.5", "203.0.113.5"),
        # A proxy but no header (a health check from the proxy's host): the peer.
        (1, "10.0.0.2", None, "10.0.0.2"),
        (1, "10.0.0.2", "", "10.0.0.2"),
        # Not an address: the peer, never the text.
        (1, "10.0.0.2", "203.0.113.5, unknown", "10.0.0.2"),
        (1, "10.0.0.2", "<script>", "10.0.0.2"),
        # IPv6: counted by its /64; an IPv4-mapped address as IPv4.
        (0, "2001:db8:1:2:a:b:c:d", None, "2001:db8:1:2::"),
        (1, "10.0.0.2", "2001:db8:1:2::99", "2001:db8:1:2::"),
        (0, "::ffff:203.0.113.5", None, "203.0.113.5"),
        # Nothing known (a Unix socket without a proxy header).
        (0, "", None, None),
    ],
)
def test_client_address(proxies, remote, forwarded, expected):
    assert address(proxies, remote, forwarded) == expected


@pytest.mark.parametrize("value", ["one", "-1", "1.5", "11"])
def test_a_bad_trusted_proxies_setting_stops_start_up(value):
    result = manage("check", env=dict(PRODUCTION, TRUSTED_PROXIES=value), check=False)
    assert result.returncode != 0
    assert f"TRUSTED_PROXIES={value!r}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_trusted_proxies_setting_is_read():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.TRUSTED_PROXIES)",
        env=dict(PRODUCTION, TRUSTED_PROXIES="2"),
    )
    assert result.stdout.strip() == "2"
