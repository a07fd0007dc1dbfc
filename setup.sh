#!/usr/bin/env bash
# One-command setup on Debian 12 / Ubuntu: Debian packages, NuGet restore, build, publish the tvp command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

# Debian/Ubuntu packages: the Fashion-MNIST data set for `tvp demo`, fonts for report figures, djpeg (an
# independent JPEG decoder the tests compare against), and basics.
pkgs=(dataset-fashion-mnist fonts-dejavu-core libjpeg-turbo-progs ca-certificates)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# ICU: .NET's globalization (Unicode normalisation for the CLIP tokenizer) loads whichever libicuNN is installed;
# the package name carries the version (libicu72 on Debian 12, libicu74 on Ubuntu 24.04).
if ! ldconfig -p 2>/dev/null | grep -q 'libicuuc\.so\.[0-9]'; then
  icu=$(apt-cache search --names-only '^libicu[0-9]+$' 2>/dev/null | awk '{print $1}' | sort -V | tail -n 1)
  missing+=("${icu:-libicu72}")
fi
if ! command -v dotnet >/dev/null 2>&1; then
  # Ubuntu ships the .NET SDK as a Debian package; on Debian install it from Microsoft's repository first.
  missing+=(dotnet-sdk-10.0)
fi
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" || {
    echo "setup: could not install ${missing[*]}." >&2
    echo "       .NET 10 SDK: see https://learn.microsoft.com/dotnet/core/install/linux (Debian needs Microsoft's package repository)." >&2
    exit 1
  }
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet restore Tvp.slnx
dotnet build Tvp.slnx -c Release --no-restore
dotnet publish src/Tvp.Cli -c Release --no-restore -o artifacts/tvp
echo "setup: done. Try: ./tvp --help"
