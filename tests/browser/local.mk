# tests/browser/: targets are added here.

# call_demo: real WebRTC calls in headless Chromium through umbra-broker and
# umbra-relay, driving the demo page contrib/web (served at /demo/).
TESTS += tests/browser/call_demo.sh
EXTRA_DIST += tests/browser/call_demo.sh tests/browser/call_demo.py tests/browser/call_demo.js \
	contrib/web/index.html contrib/web/demo.css contrib/web/demo.js contrib/web/README.md
