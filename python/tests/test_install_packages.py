"""Every package, packed and installed the way a user installs it, makes a real call.

The NuGet packages are packed once into a temporary feed from the solution's Debug build (``--no-build``, as
./test.sh leaves it: packing never rewrites bin/, where the running test host loads from; built first only when
missing, as conftest does for the host). Then, against the real test host:

- a fresh console app outside the repository references ``ZeroBridge`` from that feed (its own nuget.config adds
  the feed to the machine's normal sources; its own packages folder, so no earlier 0.1.0 in the global cache is
  used instead) and calls the server;
- ``dotnet tool install --tool-path`` installs ``zbridge`` from the feed, and ``zbridge call EP ping`` answers;
- the wheel and sdist are built with Debian's build/setuptools/wheel, the wheel is installed into a fresh
  ``venv --system-site-packages`` (pyzmq, msgpack... from Debian), and a call goes through it.

Only net10.0 runs here: the machines have no .NET 8 runtime, so the packages' net8.0 assemblies are checked to be
there, not run.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ElementTree
import zipfile
from email.parser import Parser
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from zerobridge._version import VERSION_FILE, version_in

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]
VERSION = version_in(REPO / VERSION_FILE)
LIBRARIES = ("ZeroBridge", "ZeroBridge.Scripting", "ZeroBridge.Kernel")
TOOL = "zbridge"
PROJECT_URL = "https://github.com/zerobridge/zerobridge"
BUILD_DEADLINE = 900.0  # a cold build compiles every project (the libraries twice) on a loaded 2-core machine
STEP_DEADLINE = 300.0


def _run(args: List[str], cwd: Path, deadline: float = STEP_DEADLINE, env: Dict[str, str] = None) -> str:
    """Runs a command to completion (bounded); its stdout, or the test fails with its output."""
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=deadline,
                            stdin=subprocess.DEVNULL, env=env)
    assert result.returncode == 0, f"{' '.join(args)} failed ({result.returncode}):\n" \
                                   f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def _dotnet_env(tmp: Path) -> Dict[str, str]:
    """dotnet with a packages folder of its own, so the packages under test are the ones from the feed."""
    return dict(os.environ, NUGET_PACKAGES=str(tmp / "nuget-packages"), DOTNET_CLI_TELEMETRY_OPTOUT="1",
                DOTNET_NOLOGO="1", DOTNET_SKIP_FIRST_TIME_EXPERIENCE="1")


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local NuGet feed holding every package of the repository."""
    if shutil.which("dotnet") is None:
        pytest.fail("dotnet is not installed (install the .NET 10 SDK)")
    built = [REPO / "src" / library / "bin" / "Debug" / framework / f"{library}.dll"
             for library in LIBRARIES for framework in ("net8.0", "net10.0")]
    if not all(path.is_file() for path in built):
        _run(["dotnet", "build", "ZeroBridge.slnx", "-nologo", "-v", "quiet", "-clp:ErrorsOnly"], REPO, BUILD_DEADLINE)
    folder = tmp_path_factory.mktemp("feed")
    # -c Debug: `dotnet pack` defaults to Release, which test.sh builds only for the CLI (net10.0).
    _run(["dotnet", "pack", "ZeroBridge.slnx", "--no-build", "-c", "Debug", "-o", str(folder), "-nologo", "-v", "quiet",
          "-clp:ErrorsOnly"], REPO)
    yield folder


def _nuspec_fields(package: Path) -> Dict[str, ElementTree.Element]:
    """The elements of the package's nuspec ``metadata`` by local name (the schema namespace varies by package type)."""
    with zipfile.ZipFile(package) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".nuspec"))
        root = ElementTree.fromstring(archive.read(name))
    metadata = next(child for child in root if child.tag.endswith("metadata"))
    return {child.tag.split("}")[-1]: child for child in metadata}


def test_each_nuget_package_has_licence_urls_readme_sources_symbols_and_both_frameworks(feed: Path) -> None:
    for package_id in (*LIBRARIES, TOOL):
        package = feed / f"{package_id}.{VERSION}.nupkg"
        assert package.is_file(), f"{package.name} was not packed: {sorted(p.name for p in feed.iterdir())}"
        assert (feed / f"{package_id}.{VERSION}.snupkg").is_file(), f"{package_id} has no symbol package"
        field = _nuspec_fields(package)
        assert field["license"].text == "MIT" and field["license"].get("type") == "expression"
        assert field["projectUrl"].text == PROJECT_URL
        assert field["readme"].text == "README.md"
        repository = field["repository"]
        assert repository.get("url") == PROJECT_URL and repository.get("type") == "git"
        assert len(repository.get("commit") or "") == 40, "no commit: Source Link cannot point at the sources"
        with zipfile.ZipFile(package) as archive:
            names = set(archive.namelist())
        assert "README.md" in names
        if package_id in LIBRARIES:
            for framework in ("net8.0", "net10.0"):
                assert f"lib/{framework}/{package_id}.dll" in names, f"{package_id} lacks {framework}"
                assert f"lib/{framework}/{package_id}.xml" in names, f"{package_id} lacks its {framework} docs"
        else:
            assert field["packageTypes"][0].get("name") == "DotnetTool"


def test_a_fresh_console_app_calls_the_server_through_the_package(feed: Path, server, tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "nuget.config").write_text(
        "<configuration><packageSources>"
        f'<add key="zerobridge-under-test" value="{feed}" />'
        "</packageSources></configuration>\n", encoding="utf-8")
    (app / "App.csproj").write_text(f"""<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="ZeroBridge" Version="{VERSION}" />
  </ItemGroup>
</Project>
""", encoding="utf-8")
    (app / "Program.cs").write_text("""using ZeroBridge.Client;

using var client = new ZeroBridgeClient(args[0]);
var timeout = TimeSpan.FromSeconds(30);
Console.WriteLine(await client.CallAsync<string>("ping", timeout: timeout));
Console.WriteLine(await client.CallAsync<int>("typed.int32", new { value = 41 }, timeout) + 1);
""", encoding="utf-8")
    env = _dotnet_env(tmp_path)
    _run(["dotnet", "build", "-o", str(app / "out"), "-nologo", "-v", "quiet", "-clp:ErrorsOnly"], app, env=env)
    assert (tmp_path / "nuget-packages" / "zerobridge" / VERSION).is_dir(), "ZeroBridge did not come from the feed"
    output = _run(["dotnet", str(app / "out" / "App.dll"), server.endpoint], app, env=env)
    assert output.split() == ["pong", "42"]


def test_the_zbridge_tool_installs_from_the_feed_and_calls_the_server(feed: Path, server, tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    env = _dotnet_env(tmp_path)
    _run(["dotnet", "tool", "install", "--tool-path", str(tools), TOOL, "--version", VERSION,
          "--add-source", str(feed)], tmp_path, env=env)
    # Into a pipe, call prints the result as JSON.
    assert _run([str(tools / TOOL), "call", server.endpoint, "ping"], tmp_path, env=env).strip() == '"pong"'


def test_the_wheel_installs_into_a_fresh_venv_and_calls_the_server(server, tmp_path: Path) -> None:
    for tool in ("build", "pip", "setuptools", "wheel"):
        if importlib.util.find_spec(tool) is None:
            pytest.fail(f"{tool} is needed to build the package (Debian: python3-{tool}); "
                        "scripts/ensure-test-packages.sh installs it")
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(REPO / "python")], tmp_path)
    wheel = dist / f"zerobridge-{VERSION}-py3-none-any.whl"
    sdist = dist / f"zerobridge-{VERSION}.tar.gz"
    assert wheel.is_file() and sdist.is_file(), sorted(p.name for p in dist.iterdir())
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        info = Parser().parsestr(archive.extractfile(f"zerobridge-{VERSION}/PKG-INFO").read().decode())
    assert f"zerobridge-{VERSION}/LICENSE" in names
    assert info["Version"] == VERSION and info["License"] == "MIT"
    assert f"Homepage, {PROJECT_URL}" in info.get_all("Project-URL")

    venv = tmp_path / "venv"
    # pip comes from Debian's site-packages, as pyzmq and msgpack do: no network needed.
    _run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--no-input", "-q", str(wheel)], tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only what the venv has
    output = _run([str(python), "-c",
                   "import sys, zerobridge\n"
                   "with zerobridge.connect(sys.argv[1], timeout=30) as client:\n"
                   "    print(client.ping(), client.typed.int32(41) + 1)\n"
                   "print(zerobridge.__version__, zerobridge.__file__)\n", server.endpoint], tmp_path, env=env)
    first, second = output.splitlines()
    assert first == "pong 42"
    version, location = second.split()
    assert version == VERSION
    assert Path(location).resolve().is_relative_to(venv.resolve()), f"imported from {location}, not the venv"
