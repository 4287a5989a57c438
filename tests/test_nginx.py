"""deploy/nginx.conf is accepted by a real nginx (`nginx -t`), the one `make system-deps` installs."""

from __future__ import annotations

import re
import shutil
import subprocess

from tests.fixtures.nginx import NGINX_CONF, nginx_binary, nginx_root, nginx_test, render_nginx_conf


def test_nginx_accepts_the_shipped_configuration() -> None:
    root = nginx_root()
    try:
        conf = render_nginx_conf(
            root, upstreams=[18001, 18002], http_port=18080, https_port=18443, health_port=18081
        )
        result = nginx_test(conf)
        assert result.returncode == 0, result.stderr
        assert "test is successful" in result.stderr
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_nginx_refuses_a_broken_configuration() -> None:
    # The check above can fail: the same nginx refuses `http2 on;` before 1.25.1 and any syntax error.
    root = nginx_root()
    try:
        conf = render_nginx_conf(
            root, upstreams=[18001], http_port=18080, https_port=18443, health_port=18081
        )
        conf.write_text(conf.read_text(encoding="utf-8").replace("proxy_buffering off;", "proxy_buffering;"))
        result = nginx_test(conf)
        assert result.returncode != 0
        assert "proxy_buffering" in result.stderr
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_the_minimum_version_noted_in_the_file_is_met() -> None:
    noted = re.search(r"Minimum nginx: (\d+)\.(\d+)", NGINX_CONF.read_text(encoding="utf-8"))
    assert noted, "deploy/nginx.conf must note the minimum nginx version"
    result = subprocess.run([nginx_binary(), "-v"], capture_output=True, text=True, check=False)
    installed = re.search(r"nginx/(\d+)\.(\d+)", result.stderr)
    assert installed, result.stderr
    assert tuple(map(int, installed.groups())) >= tuple(map(int, noted.groups()))


def test_rendering_keeps_every_header_of_the_shipped_file() -> None:
    root = nginx_root()
    try:
        conf = render_nginx_conf(
            root, upstreams=[18001, 18002], http_port=18080, https_port=18443, health_port=18081
        )
        rendered = conf.read_text(encoding="utf-8")
        for line in NGINX_CONF.read_text(encoding="utf-8").splitlines():
            if "proxy_set_header" in line or "proxy_read_timeout" in line or "location" in line:
                assert line in rendered, line
        assert "return 301 https://$host:18443$request_uri;" in rendered
    finally:
        shutil.rmtree(root, ignore_errors=True)
