#!/usr/bin/env bash
# Makes sure the machine has what the tests need beyond the .NET SDK: Debian's Python packages (there is no PyPI
# here; the tests run /usr/bin/python3) and iproute2 for the network-namespace tests. Installs the missing ones when
# it can (root, or passwordless sudo); otherwise fails at once with one line that says what to run.
# Used by ./test.sh (the README's test command) and so by .ci/run.
set -euo pipefail

packages=(python3-zmq python3-msgpack python3-nacl python3-pandas python3-numpy python3-pytest python3-tqdm
          python3-nbclient python3-nbformat python3-ipykernel python3-jupyter-client python3-matplotlib
          python3-jupyter-kernel-test python3-jupyter-console  # the C# kernel: the standard kernel suite, jupyter console
          python3-pip python3-setuptools python3-wheel python3-build  # the wheel and sdist (tests/test_install_packages.py)
          iproute2 tcpdump)  # `ip netns`: the tests across network namespaces (run as root); tcpdump captures a link

if ! command -v dpkg-query >/dev/null 2>&1; then
  # Not Debian: the packages cannot be installed from here; check the interpreter has what the tests import.
  python="${ZEROBRIDGE_PYTHON:-python3}"
  if ! "$python" -c 'import zmq, msgpack, nacl, pandas, numpy, pytest, tqdm, nbclient, ipykernel, jupyter_client' 2>/dev/null; then
    echo "error: $python lacks the test dependencies; install pyzmq msgpack pynacl pandas numpy pytest tqdm nbclient ipykernel jupyter-client matplotlib (or set ZEROBRIDGE_PYTHON)" >&2
    exit 1
  fi
  exit 0
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo_cmd=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo_cmd=(sudo)
else
  echo "error: missing Debian packages; run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages the tests need: ${missing[*]}" >&2
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
