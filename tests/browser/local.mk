# tests/browser/: headless Debian chromium through umbra-relay (ports
# 21500-21599). playwright-core is pinned in package-lock.json; contrib/test.sh
# runs `npm ci` here, and the test installs it into the build tree otherwise.
TESTS += tests/browser/relay_webrtc.sh
EXTRA_DIST += tests/browser/relay_webrtc.sh tests/browser/relay_webrtc.py \
	tests/browser/relay_webrtc.mjs tests/browser/package.json tests/browser/package-lock.json
