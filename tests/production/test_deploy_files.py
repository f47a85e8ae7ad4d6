"""The deployment files as docs/deployment.md tells an operator to use them."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.production import stack

ENVSUBST_NAMES = " ".join("${" + name + "}" for name in stack.PLACEHOLDERS)
VALUES = {"RELIFE_LISTEN": "80", "RELIFE_SERVER_NAME": "relife.example.org", "RELIFE_UPSTREAM": "127.0.0.1:8000"}


def test_the_guide_renders_the_nginx_template_with_exactly_its_placeholders() -> None:
    guide = (stack.REPO / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert "envsubst '" + ENVSUBST_NAMES.replace("$", "\\$") + "'" in guide
    template = stack.NGINX_SITE.read_text(encoding="utf-8")
    assert all("${" + name + "}" in template for name in stack.PLACEHOLDERS)


@pytest.mark.skipif(shutil.which("envsubst") is None, reason="no envsubst (Debian package gettext-base)")
def test_envsubst_renders_the_template_as_the_tests_do() -> None:
    rendered = subprocess.run(
        ["envsubst", ENVSUBST_NAMES],
        input=stack.NGINX_SITE.read_text(encoding="utf-8"),
        capture_output=True,
        text=True,
        check=True,
        env=VALUES,
    ).stdout
    assert rendered == stack.render_site(VALUES)
    # nginx's own variables are left for nginx.
    assert "X-Forwarded-For $remote_addr;" in rendered
