# netperf is in Debian's non-free component and Ubuntu's multiverse. When apt has no candidate for it,
# add that component to the distribution's own sources (deb822 and one-line formats) and update.
# Sourced by scripts/setup.sh on this machine, and sent by `vfbench doctor --install` to apt hosts.
if ! apt-cache policy netperf 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  if grep -qi ubuntu /etc/os-release 2>/dev/null; then comp=multiverse; else comp=non-free; fi
  echo "enabling the '$comp' component for netperf" >&2
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    if grep -qE '^Components:.*\bmain\b' "$f" && ! grep -qE "^Components:.*\b$comp\b" "$f"; then
      sed -i -E "/^Components:.*\bmain\b/ s/\$/ $comp/" "$f"
    fi
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    if grep -qE '^deb .* main' "$f" && ! grep -qE "^deb .*\b$comp\b" "$f"; then
      sed -i -E "/^deb .* main/ s/\$/ $comp/" "$f"
    fi
  done
  apt-get update -q >/dev/null
fi
