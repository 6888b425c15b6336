#!/usr/bin/env bash
# Debian packages some tests need (headless Chromium for the UI and contact-sheet tests, a CJK
# font for Chinese creatives). Installed only when missing; without root or apt it just says so.
set -uo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qiE 'Noto Sans CJK|WenQuanYi|Noto Serif CJK' || need+=(fonts-wqy-zenhei)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${need[*]}; install them with apt-get (tests that need them will skip)" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null 2>&1 \
  || echo "system-deps: apt-get install ${need[*]} failed; dependent tests will skip" >&2
exit 0
