"""Builds the zerobridge wheel and sdist. Everything is declared in pyproject.toml except the version, which is
the repository's one version (``<Version>`` in ../Directory.Build.props, shared with the NuGet packages and the
zbridge tool); an sdist, built away from the repository, carries it in its PKG-INFO."""

import runpy
from email.parser import Parser
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent


def package_version() -> str:
    """The version from the repository when building there, else from the sdist's PKG-INFO."""
    versions = runpy.run_path(str(HERE / "zerobridge" / "_version.py"))  # the module alone, not the package
    props = HERE.parent / versions["VERSION_FILE"]
    if props.is_file():
        return versions["version_in"](props)
    pkg_info = HERE / "PKG-INFO"
    if pkg_info.is_file():
        return Parser().parsestr(pkg_info.read_text(encoding="utf-8"))["Version"]
    raise RuntimeError(f"no version: build from the repository (../{versions['VERSION_FILE']}) or from an sdist")


setup(version=package_version())
