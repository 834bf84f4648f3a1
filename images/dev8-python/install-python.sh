#!/bin/sh
# Python 3.11 from Debian + the shared tools venv. Used by dev8-python and dev8-fullstack.
set -eux
tools=$1
apt-get update
apt-get install -y --no-install-recommends python3 python3-pip python3-venv pipx
apt-get clean
rm -rf /var/lib/apt/lists/*
ln -sf /usr/bin/python3 /usr/local/bin/python
# pip in the venv trusts the system CAs (a TLS-inspecting proxy's too, see images/extra-ca).
python3 -m venv /opt/devc/python
# shellcheck disable=SC2086 # $tools is a space-separated list of packages
PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
  /opt/devc/python/bin/pip install $tools
for cmd in pytest py.test ruff black blackd mypy dmypy stubgen jupyter jupyter-lab; do
  [ -x "/opt/devc/python/bin/$cmd" ] && ln -sf "/opt/devc/python/bin/$cmd" "/usr/local/bin/$cmd"
done
find /opt/devc/python -name __pycache__ -prune -exec rm -rf {} +
rm -rf /root/.cache
python3 --version; pip3 --version; pipx --version; pytest --version; ruff --version; black --version; mypy --version; jupyter-lab --version
