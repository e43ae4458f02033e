# tests/browser/: headless Debian chromium through umbra-relay (ports
# 21500-21599). playwright-core is pinned in package-lock.json; contrib/test.sh
# runs `npm ci` here, and the test installs it into the build tree otherwise.
TESTS += tests/browser/relay_webrtc.sh
EXTRA_DIST += tests/browser/relay_webrtc.sh tests/browser/relay_webrtc.py \
	tests/browser/relay_webrtc.mjs tests/browser/package.json tests/browser/package-lock.json

# call_demo: real WebRTC calls in headless Chromium through umbra-broker and
# umbra-relay, driving the demo page contrib/web (served at /demo/).
TESTS += tests/browser/call_demo.sh
EXTRA_DIST += tests/browser/call_demo.sh tests/browser/call_demo.py tests/browser/call_demo.js \
	contrib/web/index.html contrib/web/demo.css contrib/web/demo.js contrib/web/README.md
