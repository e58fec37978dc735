# Sourced by scripts/demo and scripts/test: installs what is missing, then activates the virtualenv.
#   source scripts/bootstrap.sh runtime   what the window needs: Qt's system libraries, the project and its
#                                         runtime dependencies (scripts/demo)
#   source scripts/bootstrap.sh [test]    all of that, plus what the tests and CI need: a virtual display,
#                                         keyring, PostgreSQL, the packaging tools, pytest, ruff, mypy
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BOOTSTRAP_FOR=${1:-test}
case "$BOOTSTRAP_FOR" in
  runtime|test) ;;
  *) echo "bootstrap.sh: unknown target '$BOOTSTRAP_FOR' (runtime or test)" >&2; return 2 2>/dev/null || exit 2 ;;
esac

# What the window needs on a desktop (and offscreen): Qt's libraries for X11/xcb, fonts, D-Bus; and venv.
RUNTIME_PACKAGES=(
  libegl1 libgl1 libxkbcommon0 libfontconfig1 libfreetype6 libglib2.0-0 libdbus-1-3 libx11-6 fonts-dejavu-core
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-randr0 libxcb-shape0
  libxcb-xkb1 libxkbcommon-x11-0 libx11-xcb1
  python3-venv
)
TEST_PACKAGES=(
  xvfb xauth xdotool x11-utils imagemagick  # end-to-end tests and benchmarks on a virtual display, screenshots
  xclip  # end-to-end tests read what Ctrl+C copied from the X clipboard
  gnome-keyring dbus-daemon dbus-bin  # a private Secret Service for the keyring tests
  binutils openssl
  icu-devtools gcc  # packaging/icu.py: icupkg, genccode and gcc rebuild ICU's data for root and English
  postgresql  # the team history's tests start a private server (initdb, pg_ctl) as the postgres user
  at-spi2-core python3-pyatspi gir1.2-atspi-2.0  # the screen-reader test: the AT-SPI bus and a client in the system Python
)
SYSTEM_PACKAGES=("${RUNTIME_PACKAGES[@]}")
[ "$BOOTSTRAP_FOR" = test ] && SYSTEM_PACKAGES+=("${TEST_PACKAGES[@]}")

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# One stamp per pyproject.toml and target; the test install has everything the runtime one has.
hash=$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f ".venv/.installed-test-$hash" ] && [ ! -f ".venv/.installed-$BOOTSTRAP_FOR-$hash" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  if [ "$BOOTSTRAP_FOR" = test ]; then
    .venv/bin/python -m pip install -q -e '.[test]'
  else
    .venv/bin/python -m pip install -q -e .
  fi
  rm -f .venv/.installed-* && touch ".venv/.installed-$BOOTSTRAP_FOR-$hash"
fi
# The desk's bytecode, as a regular install has it: where PYTHONDONTWRITEBYTECODE is set, every start would
# otherwise compile all of the desk's modules again (~60 ms). Only what changed is compiled again.
.venv/bin/python -m compileall -q termii_desk >/dev/null
# shellcheck disable=SC1091
source .venv/bin/activate
