#!/usr/bin/env bash
# Installs what Plumbline needs from Debian 12's packages (and nothing else).
#   scripts/install-deps.sh          build and run dependencies
#   scripts/install-deps.sh --test   plus the test tools (aws CLI, Ruby Liquid, Chromium, Node,
#                                    PostgreSQL, Docker's engine and Compose, debootstrap)
# Only missing packages are installed; `apt-get update` runs once, when needed.
set -euo pipefail

BUILD_PKGS=(cmake ninja-build ccache g++ pkg-config libboost1.81-dev libboost-json1.81-dev
  libboost-url1.81-dev libsqlite3-dev libsodium-dev libcurl4-openssl-dev libcli11-dev libfmt-dev
  libspdlog-dev libssl-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev libpng-dev libpq-dev)
TEST_PKGS=(awscli python3 python3-boto3 python3-yaml ruby ruby-liquid chromium curl openssl postgresql-15
  docker.io docker-compose debootstrap)

want=("${BUILD_PKGS[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${TEST_PKGS[@]}")
  # Node.js and npm: Debian's unless a node is already installed.
  command -v node >/dev/null 2>&1 || want+=(nodejs)
  command -v npm >/dev/null 2>&1 || want+=(npm)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
echo "Installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
